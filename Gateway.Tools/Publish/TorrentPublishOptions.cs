using Gateway.Core.Torrents;

namespace Gateway.Tools.Publish;

/// <summary>How publish cuts the repository into v1 torrents (see docs/manifest.md, "Torrents").</summary>
public sealed record TorrentPublishOptions
{
    public const long DefaultLargeFileThreshold = 4 * 1024 * 1024;

    /// <summary>Write torrents at all (<c>--torrents on|off</c>).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Tracker announce URL written into every torrent (<c>--announce</c>).</summary>
    public Uri? Announce { get; init; }

    /// <summary>The origin's base URL, the BEP 19 web seed (<c>--web-seed</c>).</summary>
    public Uri? WebSeed { get; init; }

    /// <summary>BEP 27 private flag (<c>--private</c>).</summary>
    public bool Private { get; init; }

    /// <summary>Fixed piece length in bytes (<c>--piece-length</c>); null picks one by size per torrent.</summary>
    public int? PieceLength { get; init; }

    /// <summary>Files larger than this get a torrent of their own (<c>--torrent-large-file</c>); 4 MiB: such files carry 80% of the bytes.</summary>
    public long LargeFileThreshold { get; init; } = DefaultLargeFileThreshold;

    /// <summary>Most bytes in one batch torrent of small files (<c>--torrent-batch-bytes</c>).</summary>
    public long BatchMaxBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most files in one batch torrent (<c>--torrent-batch-files</c>).</summary>
    public int BatchMaxFiles { get; init; } = 1000;

    /// <summary>Small files are batched per folder cut to this many segments (<c>--torrent-batch-depth</c>): 2 batches <c>pool/main/a/apt/*.deb</c> under <c>pool/main</c>.</summary>
    public int BatchDepth { get; init; } = 2;

    /// <summary>Repository-relative folder for the .torrent files (<c>--torrent-dir</c>).</summary>
    public string Folder { get; init; } = "torrents";

    /// <summary>Throws <see cref="ArgumentException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (Announce is { } announce && !IsHttpOrUdp(announce))
        {
            throw new ArgumentException($"--announce '{announce}' must be an absolute http, https or udp URL.");
        }

        if (WebSeed is { } seed && (!seed.IsAbsoluteUri || seed.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(seed.Query)))
        {
            throw new ArgumentException($"--web-seed '{seed}' must be an absolute http or https base URL without a query (clients append paths to it).");
        }

        if (PieceLength is { } piece && !TorrentPieceLength.IsValid(piece))
        {
            throw new ArgumentException($"--piece-length {piece} must be a power of two from {TorrentPieceLength.Minimum} to {TorrentPieceLength.Maximum} bytes.");
        }

        if (LargeFileThreshold < 0)
        {
            throw new ArgumentException($"--torrent-large-file {LargeFileThreshold} must not be negative.");
        }

        if (BatchMaxBytes < 1 || BatchMaxFiles < 1)
        {
            throw new ArgumentException($"--torrent-batch-bytes ({BatchMaxBytes}) and --torrent-batch-files ({BatchMaxFiles}) must be at least 1.");
        }

        if (BatchDepth < 1)
        {
            throw new ArgumentException($"--torrent-batch-depth {BatchDepth} must be at least 1.");
        }

        if (!Gateway.Core.Paths.RequestPathNormalizer.IsNormalizedRelativePath(Folder))
        {
            throw new ArgumentException($"--torrent-dir '{Folder}' must be a relative '/'-separated folder inside the repository.");
        }
    }

    private static bool IsHttpOrUdp(Uri uri) => uri.IsAbsoluteUri && uri.Scheme is "http" or "https" or "udp";
}
