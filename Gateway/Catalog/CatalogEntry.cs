namespace Gateway.Catalog;

/// <summary>A published file as the request path needs it, with the header values computed once at load.</summary>
public sealed class CatalogEntry
{
    public CatalogEntry(ManifestFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        Path = file.Path;
        Size = file.Size;
        Sha256 = file.Sha256;
        ContentId = file.Content;
        ReprDigest = "sha-256=:" + Convert.ToBase64String(Convert.FromHexString(file.Sha256)) + ":";
        EscapedPath = string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString));
    }

    /// <summary>Repository-relative path, no leading slash.</summary>
    public string Path { get; }

    public long Size { get; }

    /// <summary>Lowercase hex SHA-256.</summary>
    public string Sha256 { get; }

    public string ContentId { get; }

    /// <summary>The RFC 9530 <c>Repr-Digest</c> value for this file.</summary>
    public string ReprDigest { get; }

    /// <summary>The path with each segment percent-encoded, ready to append to a volunteer's base URL.</summary>
    public string EscapedPath { get; }
}
