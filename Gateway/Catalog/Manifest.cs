using System.Text.Json.Serialization;

namespace Gateway.Catalog;

/// <summary>The published catalog as stored on disk and on the origin (<c>manifest.json</c>); see docs/manifest.md.</summary>
public sealed record Manifest(
    [property: JsonPropertyName("format")] int Format,
    [property: JsonPropertyName("generated")] DateTimeOffset Generated,
    [property: JsonPropertyName("files")] IReadOnlyList<ManifestFile> Files)
{
    /// <summary>The manifest format this build reads and writes.</summary>
    public const int CurrentFormat = 1;
}

/// <summary>One published file.</summary>
/// <param name="Path">Repository-relative path, '/'-separated, no leading slash, NFC as on disk.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="Sha256">SHA-256 of the bytes, lowercase hex.</param>
/// <param name="Content">Content id: identical bytes share one id wherever they are published.</param>
/// <param name="Modified">Last write time (Unix ms) when hashed; lets publish skip unchanged files.</param>
public sealed record ManifestFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("modified")] long Modified)
{
    /// <summary>Per-chunk SHA-256 for files larger than one chunk (optional; see docs/verification.md).</summary>
    [JsonPropertyName("chunks")]
    public ManifestChunks? Chunks { get; init; }
}

/// <summary>
/// SHA-256 of each <paramref name="Size"/>-byte chunk of a file, in order (the last chunk may be shorter):
/// lets proxy mode forward a large file chunk by chunk, each verified before it goes out.
/// </summary>
/// <param name="Size">Chunk length in bytes.</param>
/// <param name="Sha256">One lowercase hex SHA-256 per chunk.</param>
public sealed record ManifestChunks(
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("sha256")] IReadOnlyList<string> Sha256);

[JsonSerializable(typeof(Manifest))]
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
