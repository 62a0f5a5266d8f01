namespace Gateway.Core.Torrents;

/// <summary>One file of a torrent: where to read it, its path inside the torrent and its length.</summary>
/// <param name="SourcePath">The file on disk.</param>
/// <param name="PathInTorrent">Path segments below the torrent's name (multi-file); ignored for a single-file torrent.</param>
/// <param name="Length">Bytes to hash; the file must still have exactly this length.</param>
public sealed record TorrentContentFile(string SourcePath, IReadOnlyList<string> PathInTorrent, long Length);

/// <summary>What a v1 (BEP 3) torrent describes and where it is announced and web-seeded.</summary>
public sealed record TorrentSpec
{
    /// <summary>The file name (single-file) or the top folder name (multi-file).</summary>
    public required string Name { get; init; }

    public required IReadOnlyList<TorrentContentFile> Files { get; init; }

    /// <summary>True: one file, info has <c>length</c>; false: info has <c>files</c>, even for one file.</summary>
    public required bool SingleFile { get; init; }

    /// <summary>A power of two, see <see cref="TorrentPieceLength"/>.</summary>
    public required int PieceLength { get; init; }

    public Uri? Announce { get; init; }

    /// <summary>BEP 19 <c>url-list</c> entries, already in their final form (a file's URL, or a folder URL ending in '/').</summary>
    public IReadOnlyList<string> WebSeeds { get; init; } = [];

    /// <summary>BEP 27 <c>private=1</c> in info (changes the info hash).</summary>
    public bool Private { get; init; }

    public string? CreatedBy { get; init; }

    /// <summary>Left out by default so that the same content always gives byte-identical .torrent files.</summary>
    public DateTimeOffset? CreationDate { get; init; }
}

/// <summary>A written torrent: its metainfo bytes and info hash.</summary>
public sealed record BuiltTorrent(byte[] Metainfo, InfoHash InfoHash, long TotalLength, int PieceCount);
