namespace Gateway.Core.Catalog;

/// <summary>
/// The arrays a <see cref="CatalogTable"/> is made of, as <see cref="CatalogColumnsBuilder"/> and the binary
/// index (<c>manifest.index</c>) fill them. File <c>i</c>'s values sit at index <c>i</c> of each column.
/// </summary>
internal sealed class CatalogColumns
{
    public required int Count { get; init; }

    public required DateTimeOffset Generated { get; init; }

    /// <summary>Distinct folders as UTF-8, one after another; folder <c>f</c> is <c>Folders[FolderStart[f]..FolderStart[f + 1]]</c>. Folder 0 is the top ("").</summary>
    public required byte[] Folders { get; init; }

    public required int[] FolderStart { get; init; }

    public required int[] FileFolder { get; init; }

    /// <summary>File names (the last path segment) as UTF-8; file <c>i</c>'s is <c>Names[NameStart[i]..NameStart[i + 1]]</c>.</summary>
    public required byte[] Names { get; init; }

    public required int[] NameStart { get; init; }

    public required long[] Sizes { get; init; }

    /// <summary>Last write times (Unix ms); empty when the loader did not keep them (the gateway does not need them, publish does).</summary>
    public required long[] Modified { get; init; }

    /// <summary>Files per page of <see cref="Digests"/>.</summary>
    public const int DigestPageFiles = 32;

    /// <summary>
    /// SHA-256 of file <c>i</c> at <c>Digests[i / 32][32 (i % 32)..]</c>. In pages of 1 KiB so that a reload shares
    /// every page without a changed file with the catalog in force: a republish changes digests all over the table.
    /// </summary>
    public required byte[][] Digests { get; init; }

    public ReadOnlyMemory<byte> DigestOf(int file) =>
        Digests[file / DigestPageFiles].AsMemory(file % DigestPageFiles * CatalogTable.DigestLength, CatalogTable.DigestLength);

    /// <summary>
    /// Content id of each file: <c>c ≥ 0</c> is the lowercase hex of file <c>c</c>'s digest, <c>c &lt; 0</c> is
    /// <c>OtherContents[~c]</c>. Null when every file's content id is its own SHA-256 (what publish writes).
    /// </summary>
    public required int[]? FileContent { get; init; }

    public required string[] OtherContents { get; init; }

    /// <summary>Files with chunk hashes, ascending; chunk list <c>k</c> has <c>ChunkSizes[k]</c>-byte chunks hashed at <c>ChunkHashes[32 ChunkStart[k]..32 ChunkStart[k + 1]]</c>.</summary>
    public required int[] ChunkFiles { get; init; }

    public required int[] ChunkSizes { get; init; }

    public required int[] ChunkStart { get; init; }

    public required byte[] ChunkHashes { get; init; }

    /// <summary>The torrents file <c>i</c> is in: <c>TorrentHashes[FileTorrents[FileTorrentStart[i]..FileTorrentStart[i + 1]]]</c>; empty when no file is in a torrent.</summary>
    public required int[] FileTorrentStart { get; init; }

    public required int[] FileTorrents { get; init; }

    /// <summary>Lowercase hex info hashes named by files.</summary>
    public required string[] TorrentHashes { get; init; }

    public required IReadOnlyList<ManifestTorrent> Torrents { get; init; }

    public long ModifiedOf(int file) => Modified.Length == 0 ? 0 : Modified[file];

    /// <summary>Where file <paramref name="file"/>'s torrents sit in <see cref="FileTorrents"/>.</summary>
    public (int Start, int Count) TorrentsOf(int file) =>
        FileTorrentStart.Length == 0 ? (0, 0) : (FileTorrentStart[file], FileTorrentStart[file + 1] - FileTorrentStart[file]);
}
