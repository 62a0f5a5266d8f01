using Gateway.Core.Catalog;
using Gateway.Core.Torrents;
using Gateway.Core.Announce;
using Gateway.Feedback.Http;
using Gateway.Feedback.Server;
using Gateway.Feedback.Tracker;
using Gateway.Feedback.Udp;
using Gateway.State;
using Gateway.State.Memory;
using Gateway.Cli;
namespace Gateway.Hosting;

/// <summary>The tracker's torrents are the catalog's: follows each reload, since <see cref="CatalogState"/> swaps the catalog whole.</summary>
public sealed class CatalogTorrentDirectory(CatalogState catalog) : ITorrentDirectory
{
    public bool TryGetContents(InfoHash infoHash, out IReadOnlyCollection<string> contentIds) =>
        catalog.Current.TorrentContents.TryGetValue(infoHash, out contentIds!);
}
