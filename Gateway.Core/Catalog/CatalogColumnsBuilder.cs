using System.Buffers;
using System.Text;

namespace Gateway.Core.Catalog;

/// <summary>
/// Checks published files one at a time (the manifest's rules, with errors naming the entry) and appends them to
/// growing columns, so a manifest is never held as objects; <see cref="Build"/> trims the columns and adds the torrents.
/// </summary>
internal sealed class CatalogColumnsBuilder(bool keepModified = true)
{
    private readonly Dictionary<string, int> _folderIds = new(StringComparer.Ordinal) { [string.Empty] = 0 };
    private readonly Dictionary<string, int> _torrentIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _otherContentIds = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _folders = new();
    private readonly List<int> _folderStart = [0, 0];
    private readonly ArrayBufferWriter<byte> _names = new(1 << 20);
    // Digests go straight into their 1 KiB pages, and the content and torrent columns only start at the first
    // file that needs them: a large manifest leaves no doubled buffers of them behind.
    private readonly List<byte[]> _digestPages = [];
    private readonly ArrayBufferWriter<byte> _chunkHashes = new();
    private readonly List<int> _fileFolder = [];
    private readonly List<int> _nameStart = [0];
    private readonly List<long> _sizes = [];
    private readonly List<long> _modified = [];
    private List<int>? _fileContent;
    private readonly List<string> _otherContents = [];
    private readonly List<int> _chunkFiles = [];
    private readonly List<int> _chunkSizes = [];
    private readonly List<int> _chunkStart = [0];
    private List<int>? _fileTorrentStart;
    private readonly List<int> _fileTorrents = [];
    private readonly List<string> _torrentHashes = [];
    private string _lastFolder = string.Empty;
    private int _lastFolderId;

    public int Count => _sizes.Count;

    /// <summary>
    /// Checks and appends one file. <c>sha256</c> is 32 bytes, or empty when the manifest's value was not 64 lowercase
    /// hex digits; <c>chunkHashes</c> the chunk digests, 32 bytes each (empty with <c>chunkSize</c> 0 for none);
    /// <c>chunkProblem</c> why the manifest's <c>chunks</c> are unusable, or null.
    /// </summary>
    public void Add(string? path, long size, ReadOnlySpan<byte> sha256, string? content, bool contentIsSha256, long modified, int chunkSize, ReadOnlySpan<byte> chunkHashes, string? chunkProblem, IEnumerable<string>? torrents)
    {
        var i = Count;
        string Where() => $"files[{i}] ({path ?? "no path"})";
        if (path is null || !Gateway.Core.Paths.RequestPathNormalizer.IsNormalizedRelativePath(path))
        {
            throw new InvalidDataException($"{Where()}: the path must be a relative '/'-separated path without '.', '..' or empty segments.");
        }

        if (size < 0)
        {
            throw new InvalidDataException($"{Where()}: size must not be negative.");
        }

        if (sha256.Length != CatalogTable.DigestLength)
        {
            throw new InvalidDataException($"{Where()}: sha256 must be 64 lowercase hex digits.");
        }

        if (!contentIsSha256 && string.IsNullOrEmpty(content))
        {
            throw new InvalidDataException($"{Where()}: content id is missing.");
        }

        if (chunkProblem is null && chunkSize > 0 && chunkHashes.Length / CatalogTable.DigestLength != (size + chunkSize - 1) / chunkSize)
        {
            chunkProblem = $"{chunkHashes.Length / CatalogTable.DigestLength} hashes for {(size + chunkSize - 1) / chunkSize} chunks of {chunkSize} bytes.";
        }

        if (chunkProblem is not null)
        {
            throw new InvalidDataException($"{Where()}: chunks: {chunkProblem}");
        }

        var slash = path.LastIndexOf('/');
        _fileFolder.Add(slash < 0 ? 0 : FolderId(path[..slash]));
        Append(_names, path.AsSpan(slash + 1));
        _nameStart.Add(_names.WrittenCount);
        _sizes.Add(size);
        if (keepModified)
        {
            _modified.Add(modified);
        }

        AddDigest(i, sha256);
        if (contentIsSha256 || (content is { Length: 64 } && ManifestReader.IsLowerHexSha256(content) && HexEquals(content, sha256)))
        {
            _fileContent?.Add(i);
        }
        else
        {
            _fileContent ??= [.. Enumerable.Range(0, i)];
            _fileContent.Add(~OtherContentId(content!));
        }

        if (chunkSize > 0)
        {
            _chunkFiles.Add(i);
            _chunkSizes.Add(chunkSize);
            _chunkHashes.Write(chunkHashes);
            _chunkStart.Add(_chunkHashes.WrittenCount / CatalogTable.DigestLength);
        }

        if (torrents is not null && _fileTorrentStart is null)
        {
            _fileTorrentStart = [.. Enumerable.Repeat(0, i + 1)];
        }

        foreach (var hash in torrents ?? [])
        {
            _fileTorrents.Add(TorrentId(hash));
        }

        _fileTorrentStart?.Add(_fileTorrents.Count);
    }

    /// <summary>The finished columns; the torrents are checked against the files (links must hold both ways).</summary>
    public CatalogTable Build(DateTimeOffset generated, IReadOnlyList<ManifestTorrent>? torrents)
    {
        if (Count % CatalogColumns.DigestPageFiles is var last and > 0)
        {
            _digestPages[^1] = _digestPages[^1][..(last * CatalogTable.DigestLength)];
        }

        var columns = new CatalogColumns
        {
            Count = Count,
            Generated = generated,
            Folders = _folders.WrittenSpan.ToArray(),
            FolderStart = [.. _folderStart],
            FileFolder = [.. _fileFolder],
            Names = _names.WrittenSpan.ToArray(),
            NameStart = [.. _nameStart],
            Sizes = [.. _sizes],
            Modified = keepModified ? [.. _modified] : [],
            Digests = [.. _digestPages],
            FileContent = _fileContent is null ? null : [.. _fileContent],
            OtherContents = [.. _otherContents],
            ChunkFiles = [.. _chunkFiles],
            ChunkSizes = [.. _chunkSizes],
            ChunkStart = [.. _chunkStart],
            ChunkHashes = _chunkHashes.WrittenSpan.ToArray(),
            FileTorrentStart = _fileTorrents.Count == 0 || _fileTorrentStart is null ? [] : [.. _fileTorrentStart],
            FileTorrents = [.. _fileTorrents],
            TorrentHashes = [.. _torrentHashes],
            Torrents = torrents ?? [],
        };
        var table = new CatalogTable(columns);
        CatalogTorrentLinks.Validate(table);
        return table;
    }

    private void AddDigest(int file, ReadOnlySpan<byte> sha256)
    {
        var slot = file % CatalogColumns.DigestPageFiles;
        if (slot == 0)
        {
            _digestPages.Add(new byte[CatalogColumns.DigestPageFiles * CatalogTable.DigestLength]);
        }

        sha256.CopyTo(_digestPages[^1].AsSpan(slot * CatalogTable.DigestLength));
    }

    private int FolderId(string folder)
    {
        if (folder == _lastFolder)
        {
            return _lastFolderId;
        }

        if (!_folderIds.TryGetValue(folder, out var id))
        {
            id = _folderIds.Count;
            _folderIds.Add(folder, id);
            Append(_folders, folder);
            _folderStart.Add(_folders.WrittenCount);
        }

        (_lastFolder, _lastFolderId) = (folder, id);
        return id;
    }

    private int TorrentId(string hash) => Intern(_torrentIds, _torrentHashes, hash);

    private int OtherContentId(string content) => Intern(_otherContentIds, _otherContents, content);

    private static int Intern(Dictionary<string, int> ids, List<string> values, string value)
    {
        if (!ids.TryGetValue(value, out var id))
        {
            id = values.Count;
            ids.Add(value, id);
            values.Add(value);
        }

        return id;
    }

    private static void Append(ArrayBufferWriter<byte> writer, ReadOnlySpan<char> text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        Encoding.UTF8.GetBytes(text, writer.GetSpan(length));
        writer.Advance(length);
    }

    private static bool HexEquals(string hex, ReadOnlySpan<byte> digest)
    {
        Span<byte> decoded = stackalloc byte[CatalogTable.DigestLength];
        return Convert.FromHexString(hex, decoded, out _, out _) == OperationStatus.Done && decoded.SequenceEqual(digest);
    }
}
