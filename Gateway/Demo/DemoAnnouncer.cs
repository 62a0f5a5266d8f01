using System.Globalization;
using Gateway.Core.Announce;
using Gateway.Core.Catalog;

namespace Gateway.Demo;

/// <summary>
/// Announces to the demo's tracker on behalf of its built-in volunteers (which are plain HTTP servers, not BitTorrent
/// clients), through the same HTTP endpoint and keys a real volunteer uses, with the load each measured: each
/// volunteer seeds every published torrent whose files its folder holds completely.
/// </summary>
public sealed class DemoAnnouncer(HttpClient http, Uri tracker, IReadOnlyList<BuiltInVolunteer> volunteers)
{
    /// <summary>
    /// How often the volunteers announce. Far shorter than a real tracker interval, so the load on the status page
    /// and in the gateway's choices follows the traffic within seconds.
    /// </summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);

    public async Task AnnounceAllAsync(Manifest manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        foreach (var volunteer in volunteers)
        {
            // A stable 20-byte peer id per volunteer: "-GW0001-" and the id, padded.
            var peerId = ("-GW0001-" + volunteer.Id).PadRight(20, '0')[..20];
            foreach (var torrent in manifest.Torrents ?? [])
            {
                if (!torrent.AllPaths().All(path => File.Exists(Path.Combine(volunteer.Folder, path))))
                {
                    continue;
                }

                // Measured per announce: the load changes while the volunteer goes through its torrents.
                var feedback = LoadFeedbackQuery.Format(volunteer.Load());
                var hash = Convert.FromHexString(torrent.InfoHash);
                var url = new Uri(tracker, string.Create(CultureInfo.InvariantCulture, $"announce/{volunteer.Key}?info_hash={Escape(hash)}&peer_id={peerId}&port=6881&uploaded=0&downloaded=0&left=0&compact=1&numwant=0{feedback}"));
                using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
            }
        }
    }

    private static string Escape(byte[] bytes) => string.Concat(bytes.Select(b => "%" + b.ToString("X2", CultureInfo.InvariantCulture)));
}
