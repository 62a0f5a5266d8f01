using System.Text.Json.Serialization;

namespace Gateway.Core.Catalog;

/// <summary>The published catalog as stored on disk and on the origin (<c>manifest.json</c>); see docs/manifest.md.</summary>
public sealed record Manifest(
    [property: JsonPropertyName("format")] int Format,
    [property: JsonPropertyName("generated")] DateTimeOffset Generated,
    [property: JsonPropertyName("files")] IReadOnlyList<ManifestFile> Files,
    [property: JsonPropertyName("torrents")] IReadOnlyList<ManifestTorrent>? Torrents = null)
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
/// <param name="Torrents">Info hashes (lowercase hex) of the torrents that contain this file; absent when none.</param>
public sealed record ManifestFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("modified")] long Modified,
    [property: JsonPropertyName("torrents")] IReadOnlyList<string>? Torrents = null)
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

/// <summary>One v1 .torrent written by publish; its content lands at <c>Folder/Name</c> in the repository.</summary>
/// <param name="InfoHash">SHA-1 of the bencoded info dictionary, 40 lowercase hex digits.</param>
/// <param name="Name">The torrent's name: the file name (single-file) or the folder name (multi-file).</param>
/// <param name="Folder">Repository-relative folder that holds <paramref name="Name"/>; empty for the top.</param>
/// <param name="SingleFile">True for a single-file torrent, false for a multi-file one.</param>
/// <param name="Torrent">Repository-relative path of the .torrent file.</param>
/// <param name="PieceLength">Bytes per piece (a power of two).</param>
/// <param name="Size">Total bytes of the torrent's files.</param>
/// <param name="Private">BEP 27 private flag.</param>
/// <param name="Announce">The tracker announce URL in the .torrent, if any.</param>
/// <param name="WebSeed">The BEP 19 url-list entry in the .torrent, if any.</param>
/// <param name="Files">Repository-relative paths of its files at <paramref name="Folder"/>, in torrent order.</param>
/// <param name="Copies">
/// Other folders that hold the same content under the same name (a torrent's info hash does not depend on
/// where it lands, so identical copies are one swarm); absent when none.
/// </param>
public sealed record ManifestTorrent(
    [property: JsonPropertyName("infoHash")] string InfoHash,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("folder")] string Folder,
    [property: JsonPropertyName("singleFile")] bool SingleFile,
    [property: JsonPropertyName("torrent")] string Torrent,
    [property: JsonPropertyName("pieceLength")] int PieceLength,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("private")] bool Private,
    [property: JsonPropertyName("announce")] string? Announce,
    [property: JsonPropertyName("webSeed")] string? WebSeed,
    [property: JsonPropertyName("files")] IReadOnlyList<string> Files,
    [property: JsonPropertyName("copies")] IReadOnlyList<string>? Copies = null)
{
    /// <summary>The repository paths of the torrent's files at <see cref="Folder"/> and at every copy.</summary>
    public IEnumerable<string> AllPaths() =>
        Files.Concat((Copies ?? []).SelectMany(copy => Files.Select(path => MovePath(path, Folder, copy))));

    /// <summary>The path of <paramref name="path"/> (under <paramref name="from"/>) when its tree is placed at <paramref name="to"/>.</summary>
    public static string MovePath(string path, string from, string to)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var rest = from.Length == 0 ? path : path[(from.Length + 1)..];
        return to.Length == 0 ? rest : to + "/" + rest;
    }
}

[JsonSerializable(typeof(Manifest))]
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class ManifestJsonContext : JsonSerializerContext;
