using Gateway.Core.Torrents;

namespace Gateway.Feedback.Tracker;

/// <summary>
/// Derives a volunteer's BitTorrent upload and download rates from the <c>uploaded</c>/<c>downloaded</c>
/// counters of successive announces, for clients that report no load themselves: per torrent the counter delta
/// over the time between two announces, summed over the volunteer's torrents.
/// </summary>
public sealed class SyncRateEstimator
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<(InfoHash, PeerId), Sample>> _byVolunteer = new(StringComparer.Ordinal);

    /// <summary>Records an announce and returns the volunteer's total rates (bytes/s) over all its torrents.</summary>
    public (long Upload, long Download) Observe(string volunteerId, InfoHash torrent, PeerId peer, long uploaded, long downloaded, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_byVolunteer.TryGetValue(volunteerId, out var samples))
            {
                _byVolunteer[volunteerId] = samples = [];
            }

            var key = (torrent, peer);
            var next = new Sample(uploaded, downloaded, now, 0, 0);
            if (samples.TryGetValue(key, out var last))
            {
                var seconds = (now - last.At).TotalSeconds;
                if (seconds <= 0)
                {
                    // Two announces in the same instant say nothing new about the rate.
                    next = last with { Uploaded = uploaded, Downloaded = downloaded };
                }
                else if (uploaded >= last.Uploaded && downloaded >= last.Downloaded)
                {
                    next = next with
                    {
                        UploadRate = (long)((uploaded - last.Uploaded) / seconds),
                        DownloadRate = (long)((downloaded - last.Downloaded) / seconds),
                    };
                }

                // Counters that went down mean the client restarted: start over from this announce (rates 0).
            }

            samples[key] = next;
            long up = 0, down = 0;
            foreach (var sample in samples.Values)
            {
                up += sample.UploadRate;
                down += sample.DownloadRate;
            }

            return (up, down);
        }
    }

    /// <summary>Forgets a peer that stopped or expired.</summary>
    public void Forget(string volunteerId, InfoHash torrent, PeerId peer)
    {
        lock (_gate)
        {
            if (_byVolunteer.TryGetValue(volunteerId, out var samples) && samples.Remove((torrent, peer)) && samples.Count == 0)
            {
                _byVolunteer.Remove(volunteerId);
            }
        }
    }

    private readonly record struct Sample(long Uploaded, long Downloaded, DateTimeOffset At, long UploadRate, long DownloadRate);
}
