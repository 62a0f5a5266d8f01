using System.Collections.Frozen;
using Gateway.Core.Torrents;

namespace Gateway.Core.Catalog;

/// <summary>An immutable, loaded catalog: exact normalized path → file. Replaced whole on reload.</summary>
public sealed class RepositoryCatalog
{
    private readonly FrozenDictionary<string, CatalogEntry> _byPath;

    public RepositoryCatalog(Manifest manifest, string version)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var entries = new Dictionary<string, CatalogEntry>(manifest.Files.Count, StringComparer.Ordinal);
        var contents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            entries[file.Path] = new CatalogEntry(file);
            contents.Add(file.Content);
        }

        _byPath = entries.ToFrozenDictionary(StringComparer.Ordinal);
        TorrentContents = (manifest.Torrents ?? [])
            .Where(t => InfoHash.TryParse(t.InfoHash, out _))
            .GroupBy(t => InfoHash.Parse(t.InfoHash))
            .ToFrozenDictionary(
                g => g.Key,
                g => (IReadOnlyCollection<string>)g.SelectMany(t => t.AllPaths()).Select(p => _byPath.GetValueOrDefault(p)?.ContentId).OfType<string>().ToFrozenSet(StringComparer.Ordinal));
        ContentIds = contents.ToFrozenSet(StringComparer.Ordinal);
        Version = version;
        Generated = manifest.Generated;
        Manifest = manifest;
    }

    /// <summary>The catalog nobody published yet: every request goes to the origin.</summary>
    public static RepositoryCatalog Empty { get; } = new(new Manifest(Manifest.CurrentFormat, DateTimeOffset.UnixEpoch, []), "empty");

    /// <summary>An opaque version (ETag or file stamp) of the manifest this was loaded from.</summary>
    public string Version { get; }

    public DateTimeOffset Generated { get; }

    /// <summary>The manifest this was built from (volunteer agents read its torrents).</summary>
    public Manifest Manifest { get; }

    public int Count => _byPath.Count;

    /// <summary>Every content id published.</summary>
    public FrozenSet<string> ContentIds { get; }

    /// <summary>The published torrents (the only ones the tracker tracks) and the content ids each contains.</summary>
    public FrozenDictionary<InfoHash, IReadOnlyCollection<string>> TorrentContents { get; }

    /// <summary>Every published file.</summary>
    public IEnumerable<CatalogEntry> Entries => _byPath.Values;

    /// <summary>Exact lookup of a normalized path (no leading slash).</summary>
    public CatalogEntry? Find(string normalizedPath) => _byPath.GetValueOrDefault(normalizedPath);

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
            else if (_byPath.TryGetValue(line.TrimStart('/'), out var entry))
            {
                result.Add(entry.ContentId);
            }
        }

        return result;
    }
}
