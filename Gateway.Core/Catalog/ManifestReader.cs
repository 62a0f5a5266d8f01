namespace Gateway.Core.Catalog;

/// <summary>Parses and checks a manifest, with errors that say which entry is wrong.</summary>
public static class ManifestReader
{
    /// <summary>Streams and checks a manifest; its files are kept packed (<see cref="Manifest.Files"/> makes each one as it is read).</summary>
    public static async Task<Manifest> ReadAsync(Stream stream, CancellationToken cancellationToken) =>
        (await LoadAsync(stream, "read", cancellationToken).ConfigureAwait(false)).Manifest;

    /// <summary>
    /// Streams and checks a manifest into a packed catalog, never holding the document or its files as objects.
    /// Without <paramref name="keepModified"/> the files' modification times are dropped (the gateway has no use for them).
    /// </summary>
    public static async Task<RepositoryCatalog> LoadAsync(Stream stream, string version, CancellationToken cancellationToken, bool keepModified = true) =>
        new(await ManifestJsonLoader.LoadAsync(stream, keepModified, cancellationToken).ConfigureAwait(false), version);

    /// <summary>Checks a manifest made in memory by the rules a loaded one must follow.</summary>
    public static void Validate(Manifest manifest) => RepositoryCatalog.Build(manifest);

    public static bool IsLowerHexSha256(string? value) =>
        value is { Length: 64 } && value.AsSpan().IndexOfAnyExcept(LowerHex) < 0;

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");
}
