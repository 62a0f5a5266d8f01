using System.Text;
using Gateway.Core.Bencode;
using Gateway.Core.Torrents;

namespace Gateway.Agent.WebSeed;

/// <summary>One file of a torrent as the web seed serves it: where it starts in the torrent's byte space.</summary>
/// <param name="Offset">The file's first byte in the concatenation of the torrent's files (where pieces are counted).</param>
/// <param name="Length">The file's length.</param>
/// <param name="OriginUrl">The file's URL at the origin (BEP 19).</param>
public sealed record WebSeedFile(long Offset, long Length, Uri OriginUrl);

/// <summary>
/// What the web-seed relay needs of a .torrent: its piece length and size, and each file's offset and origin URL
/// (from its BEP 19 <c>url-list</c>), keyed by the path the engine asks for (name, or name/path for a multi-file
/// torrent, as BEP 19 and aria2 build it).
/// </summary>
public sealed class WebSeedLayout
{
    private readonly Dictionary<string, WebSeedFile> _files;

    private WebSeedLayout(long pieceLength, long size, Dictionary<string, WebSeedFile> files)
    {
        PieceLength = pieceLength;
        Size = size;
        _files = files;
    }

    public long PieceLength { get; }

    public long Size { get; }

    public long PieceCount => (Size + PieceLength - 1) / PieceLength;

    /// <summary>The file the engine asks for by its path (already percent-decoded), or null.</summary>
    public WebSeedFile? Find(string path) => _files.GetValueOrDefault(path);

    /// <summary>
    /// Reads <paramref name="torrent"/>; false when it has no http(s) web seed or is not one we can relay. On
    /// success <paramref name="withoutWebSeeds"/> is the same torrent without its <c>url-list</c> (the info
    /// dictionary, hence the info hash, unchanged), so the engine knows no way to the origin but the relay.
    /// </summary>
    public static bool TryRead(ReadOnlyMemory<byte> torrent, InfoHash infoHash, out WebSeedLayout? layout, out byte[] withoutWebSeeds)
    {
        layout = null;
        withoutWebSeeds = [];
        BencodeDictionary root;
        try
        {
            if (BencodeDecoder.Decode(torrent) is not BencodeDictionary decoded)
            {
                return false;
            }

            root = decoded;
        }
        catch (BencodeException)
        {
            return false;
        }

        var webSeed = root.Get<BencodeList>("url-list"u8)?.OfType<BencodeString>().FirstOrDefault()?.ToString()
            ?? root.Get<BencodeString>("url-list"u8)?.ToString();
        if (root.Get<BencodeDictionary>("info"u8) is not { } info
            || info.Get<BencodeInteger>("piece length"u8) is not { Value: > 0 } piece
            || info.Get<BencodeString>("name"u8)?.ToString() is not { Length: > 0 } name
            || !Uri.TryCreate(webSeed, UriKind.Absolute, out var seed)
            || seed.Scheme is not ("http" or "https"))
        {
            return false;
        }

        // The relay must not change what the engine checks: the info dictionary must encode to the same hash.
        if (!infoHash.Equals(InfoHash.OfInfo(info.Encode())))
        {
            return false;
        }

        var files = new Dictionary<string, WebSeedFile>(StringComparer.Ordinal);
        long offset = 0;
        if (info.Get<BencodeInteger>("length"u8) is { } single)
        {
            // Single file: the url-list entry is the file's own URL (or a folder, which BEP 19 completes with the name).
            var url = seed.AbsoluteUri.EndsWith('/') ? new Uri(seed, Uri.EscapeDataString(name)) : seed;
            files[name] = new WebSeedFile(0, single.Value, url);
            offset = single.Value;
        }
        else if (info.Get<BencodeList>("files"u8) is { } list && seed.AbsoluteUri.EndsWith('/'))
        {
            foreach (var entry in list.OfType<BencodeDictionary>())
            {
                var length = entry.Get<BencodeInteger>("length"u8)?.Value ?? -1;
                var parts = entry.Get<BencodeList>("path"u8)?.OfType<BencodeString>().Select(p => p.ToString()).ToArray() ?? [];
                if (length < 0 || parts.Length == 0)
                {
                    return false;
                }

                var path = name + "/" + string.Join('/', parts);
                files[path] = new WebSeedFile(offset, length, new Uri(seed, string.Join('/', path.Split('/').Select(Uri.EscapeDataString))));
                offset += length;
            }
        }
        else
        {
            return false;
        }

        var kept = root.Where(e => !e.Key.Span.SequenceEqual("url-list"u8)).ToList();
        withoutWebSeeds = new BencodeDictionary(kept).Encode();
        layout = new WebSeedLayout(piece.Value, offset, files);
        return true;
    }

    /// <summary>For tests and logs: the files' paths in torrent order.</summary>
    public override string ToString() =>
        new StringBuilder().AppendJoin(", ", _files.OrderBy(f => f.Value.Offset).Select(f => f.Key)).ToString();
}
