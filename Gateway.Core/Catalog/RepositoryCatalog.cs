using System.Collections;
using System.Collections.Frozen;
using Gateway.Core.Torrents;

namespace Gateway.Core.Catalog;

/// <summary>An immutable, loaded catalog: exact normalized path → file. Replaced whole on reload.</summary>
public sealed class RepositoryCatalog
{
    private readonly CatalogTable _table;
    private readonly Lazy<FrozenSet<string>> _contentIds;
    private readonly Lazy<FrozenDictionary<InfoHash, IReadOnlyCollection<string>>> _torrentContents;
    private readonly Lazy<Manifest> _manifest;

    // The entries recently looked up, one slot per (row mod size): a popular file's entry, with the strings a request
    // makes from it (content id, Repr-Digest, escaped path), is reused instead of made again on every request, in
    // memory bounded by the slots whatever the catalog's size or the requests' history. Races only cost a second make.
    private const int RecentSlots = 16384;
    private readonly CatalogEntry?[] _recent = new CatalogEntry?[RecentSlots];

    /// <summary>A catalog of <paramref name="manifest"/>, checked as <see cref="ManifestReader.Validate"/> does.</summary>
    public RepositoryCatalog(Manifest manifest, string version)
        : this(Build(manifest), version)
    {
    }

    internal RepositoryCatalog(CatalogTable table, string version)
    {
        _table = table;
        Version = version;
        // Sets of strings cost far more than the packed table: only made when something asks (an "all" inventory, the tracker).
        _contentIds = new(() => Enumerable.Range(0, table.Count).Select(table.ContentIdOf).ToFrozenSet(StringComparer.Ordinal));
        _torrentContents = new(() => table.Columns.Torrents
            .Where(t => InfoHash.TryParse(t.InfoHash, out _))
            .GroupBy(t => InfoHash.Parse(t.InfoHash))
            .ToFrozenDictionary(
                g => g.Key,
                g => (IReadOnlyCollection<string>)g.SelectMany(t => t.AllPaths()).Select(p => table.IndexOf(p)).Where(i => i >= 0).Select(table.ContentIdOf).ToFrozenSet(StringComparer.Ordinal)));
        _manifest = new(() => new Manifest(Manifest.CurrentFormat, table.Columns.Generated, new FileList(table), table.Columns.Torrents.Count > 0 ? table.Columns.Torrents : null));
    }

    /// <summary>The catalog nobody published yet: every request goes to the origin.</summary>
    public static RepositoryCatalog Empty { get; } = new(new Manifest(Manifest.CurrentFormat, DateTimeOffset.UnixEpoch, []), "empty");

    /// <summary>An opaque version (ETag or file stamp) of the manifest this was loaded from.</summary>
    public string Version { get; }

    public DateTimeOffset Generated => _table.Columns.Generated;

    /// <summary>The manifest this was built from (volunteer agents read its torrents); its files are made from the packed table as they are read.</summary>
    public Manifest Manifest => _manifest.Value;

    public int Count => _table.Count;

    /// <summary>Every content id published (made on first use).</summary>
    public FrozenSet<string> ContentIds => _contentIds.Value;

    /// <summary>The published torrents (the only ones the tracker tracks) and the content ids each contains (made on first use).</summary>
    public FrozenDictionary<InfoHash, IReadOnlyCollection<string>> TorrentContents => _torrentContents.Value;

    /// <summary>Every published file, in path order.</summary>
    public IEnumerable<CatalogEntry> Entries => Enumerable.Range(0, _table.Count).Select(i => new CatalogEntry(_table, i, null));

    internal CatalogTable Table => _table;

    /// <summary>Exact lookup of a normalized path (no leading slash).</summary>
    public CatalogEntry? Find(string normalizedPath)
    {
        if (normalizedPath is null || _table.IndexOf(normalizedPath) is not (var i and >= 0))
        {
            return null;
        }

        ref var slot = ref _recent[i & (RecentSlots - 1)];
        var recent = Volatile.Read(ref slot);
        if (recent is not null && recent.Index == i)
        {
            return recent;
        }

        var entry = new CatalogEntry(_table, i, normalizedPath);
        Volatile.Write(ref slot, entry);
        return entry;
    }

    /// <summary>Whether <paramref name="normalizedPath"/> is published; allocates nothing.</summary>
    public bool Contains(ReadOnlySpan<char> normalizedPath) => _table.IndexOf(normalizedPath) >= 0;

    /// <summary>The content ids of the given paths or SHA-256s (an inventory line may be either).</summary>
    public IReadOnlyCollection<string> ResolveInventory(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (ContentIds.Contains(line))
            {
                result.Add(line);
            }
            else if (_table.IndexOf(line.TrimStart('/')) is var i and >= 0)
            {
                result.Add(_table.ContentIdOf(i));
            }
        }

        return result;
    }

    internal static CatalogTable Single(ManifestFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Build(new Manifest(Manifest.CurrentFormat, DateTimeOffset.UnixEpoch, [file]));
    }

    internal static CatalogTable Build(Manifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Format != Manifest.CurrentFormat)
        {
            throw new InvalidDataException($"The manifest has format {manifest.Format}; this gateway reads format {Manifest.CurrentFormat}.");
        }

        if (manifest.Files is null)
        {
            throw new InvalidDataException("The manifest has no \"files\" array.");
        }

        var builder = new CatalogColumnsBuilder();
        Span<byte> digest = stackalloc byte[CatalogTable.DigestLength];
        var chunkHashes = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var file in manifest.Files)
        {
            var shaValid = ManifestReader.IsLowerHexSha256(file?.Sha256) && Convert.FromHexString(file!.Sha256, digest, out _, out _) == System.Buffers.OperationStatus.Done;
            chunkHashes.ResetWrittenCount();
            string? problem = null;
            if (file?.Chunks is { } chunks)
            {
                problem = chunks.Size < 1 || chunks.Sha256 is null ? "size must be at least 1 and sha256 a list."
                    : chunks.Sha256.All(ManifestReader.IsLowerHexSha256) ? null : "every hash must be 64 lowercase hex digits.";
                foreach (var hex in problem is null ? chunks.Sha256! : [])
                {
                    Convert.FromHexString(hex, chunkHashes.GetSpan(CatalogTable.DigestLength), out _, out _);
                    chunkHashes.Advance(CatalogTable.DigestLength);
                }
            }

            builder.Add(file?.Path, file?.Size ?? 0, shaValid ? digest : default, file?.Content, false, file?.Modified ?? 0,
                problem is null ? file?.Chunks?.Size ?? 0 : 0, chunkHashes.WrittenSpan, problem, file?.Torrents);
        }

        return builder.Build(manifest.Generated, manifest.Torrents);
    }

    // The manifest's files[] as a list over the packed table: each ManifestFile is made when read, never kept.
    private sealed class FileList(CatalogTable table) : IReadOnlyList<ManifestFile>
    {
        public int Count => table.Count;

        public ManifestFile this[int index] => (uint)index < (uint)table.Count ? table.ToManifestFile(index) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<ManifestFile> GetEnumerator()
        {
            for (var i = 0; i < table.Count; i++)
            {
                yield return table.ToManifestFile(i);
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
