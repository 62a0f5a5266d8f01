using Gateway.Core.Catalog;
using Gateway.Core.Torrents;
using Gateway.Feedback.Tracker;

namespace Gateway.Hosting;

/// <summary>The tracker's torrents are the catalog's: follows each reload, since <see cref="CatalogState"/> swaps the catalog whole.</summary>
public sealed class CatalogTorrentDirectory(CatalogState catalog) : ITorrentDirectory
{
    public bool TryGetContents(InfoHash infoHash, out IReadOnlyCollection<string> contentIds) =>
        catalog.Current.TorrentContents.TryGetValue(infoHash, out contentIds!);
}
