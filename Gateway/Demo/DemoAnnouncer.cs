using System.Globalization;
using Gateway.Core.Announce;
using Gateway.Core.Catalog;

namespace Gateway.Demo;

/// <summary>
/// Announces to the demo's tracker on behalf of its volunteers (which are plain HTTP servers, not BitTorrent
/// clients), through the same HTTP endpoint and keys a real volunteer uses, with a load report: each volunteer
/// seeds every published torrent whose files its folder holds completely.
/// </summary>
public sealed class DemoAnnouncer(HttpClient http, Uri tracker, IReadOnlyList<(string Id, string Key, string Folder, long Capacity)> volunteers)
{
    public async Task AnnounceAllAsync(Manifest manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        foreach (var (id, key, folder, capacity) in volunteers)
        {
            // A stable 20-byte peer id per volunteer: "-GW0001-" and the id, padded.
            var peerId = ("-GW0001-" + id).PadRight(20, '0')[..20];
            foreach (var torrent in manifest.Torrents ?? [])
            {
                if (!torrent.AllPaths().All(path => File.Exists(Path.Combine(folder, path))))
                {
                    continue;
                }

                var feedback = LoadFeedbackQuery.Format(new LoadFeedback(ActiveTransfers: 0, Peers: 0, UploadBytesPerSecond: 0, DownloadBytesPerSecond: 0, CapacityBytesPerSecond: capacity));
                var hash = Convert.FromHexString(torrent.InfoHash);
                var url = new Uri(tracker, string.Create(CultureInfo.InvariantCulture, $"announce/{key}?info_hash={Escape(hash)}&peer_id={peerId}&port=6881&uploaded=0&downloaded=0&left=0&compact=1&numwant=0{feedback}"));
                using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
            }
        }
    }

    private static string Escape(byte[] bytes) => string.Concat(bytes.Select(b => "%" + b.ToString("X2", CultureInfo.InvariantCulture)));
}
