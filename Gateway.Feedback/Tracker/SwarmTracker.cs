using Gateway.Core.Announce;
using Gateway.Core.Torrents;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.Feedback.Tracker;

/// <summary>
/// The tracker's logic between its frontends (HTTP, UDP) and its peer store: which torrents and keys are
/// accepted, the peer lifecycle, and what a keyed volunteer's announces mean for the holdings store (holdings
/// and load feedback).
/// </summary>
public sealed partial class SwarmTracker(
    ISwarmPeerStore peers,
    ITorrentDirectory torrents,
    IVolunteerKeys keys,
    HoldingsRecorder holdings,
    SyncRateEstimator rates,
    IOptionsMonitor<TrackerOptions> options,
    TimeProvider time,
    ILogger<SwarmTracker> logger)
{
    public const string UnknownTorrent = "unknown torrent: this tracker tracks only the torrents its repository published";
    public const string UnknownKey = "unknown volunteer key: check the key in your announce URL (/announce/{key})";
    public const string KeyRequired = "this tracker needs a volunteer key: announce to /announce/{key}";

    /// <summary>Handles one announce; <paramref name="peerBuffer"/> receives the peers to return (its length bounds numwant).</summary>
    public async ValueTask<AnnounceResult> AnnounceAsync(AnnounceRequest request, PeerAddress address, string? key, Memory<SwarmPeer> peerBuffer, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        if (!torrents.TryGetContents(request.InfoHash, out var contents))
        {
            return AnnounceResult.Failed(UnknownTorrent);
        }

        KeyedVolunteer? volunteer = null;
        if (key is not null)
        {
            if (!keys.TryResolve(key, out volunteer))
            {
                return AnnounceResult.Failed(UnknownKey);
            }
        }
        else if (!settings.AllowAnonymous)
        {
            return AnnounceResult.Failed(KeyRequired);
        }

        // Keyed volunteers announce more often than other peers: their load report is only as fresh as their last announce.
        var interval = (int)(volunteer is null ? settings.Interval : settings.VolunteerInterval).TotalSeconds;
        var minInterval = (int)(volunteer is null ? settings.MinInterval : settings.EffectiveVolunteerMinInterval).TotalSeconds;
        if (request.Event == AnnounceEvent.Stopped)
        {
            var removed = await peers.RemoveAsync(request.InfoHash, request.PeerId, request.Left == 0, cancellationToken).ConfigureAwait(false);
            if (removed?.VolunteerId is { } leaving)
            {
                await ForgetAsync(leaving, request.InfoHash, request.PeerId, cancellationToken).ConfigureAwait(false);
            }

            var left = await peers.ScrapeAsync(request.InfoHash, cancellationToken).ConfigureAwait(false);
            return new AnnounceResult(null, left, 0, interval, minInterval);
        }

        var numWant = Math.Clamp(request.NumWant ?? settings.DefaultNumWant, 0, Math.Min(settings.MaxNumWant, peerBuffer.Length));
        var now = time.GetUtcNow();
        var peer = new SwarmPeer(request.PeerId, address, request.Left == 0, volunteer?.Id);
        var outcome = await peers.AnnounceAsync(request.InfoHash, peer, now + settings.EffectivePeerLifetime, request.Event == AnnounceEvent.Completed, peerBuffer[..numWant], cancellationToken).ConfigureAwait(false);
        if (volunteer is not null)
        {
            await RecordVolunteerAsync(volunteer, request, contents, outcome.Previous, now, cancellationToken).ConfigureAwait(false);
        }

        var slice = volunteer is not null && request.Left > 0 && numWant > 0
            ? WebSeedSlice.Assign(volunteer.Id, peerBuffer.Span[..outcome.PeersWritten], outcome.Counts)
            : null;
        return new AnnounceResult(null, outcome.Counts, outcome.PeersWritten, interval, minInterval) { Slice = slice };
    }

    /// <summary>Scrapes the swarms; an unpublished torrent fails the whole scrape, as for an announce.</summary>
    public async ValueTask<string?> ScrapeAsync(ReadOnlyMemory<InfoHash> hashes, Memory<SwarmCounts> counts, CancellationToken cancellationToken)
    {
        for (var i = 0; i < hashes.Length; i++)
        {
            var hash = hashes.Span[i];
            if (!torrents.TryGetContents(hash, out _))
            {
                return UnknownTorrent;
            }

            var scraped = await peers.ScrapeAsync(hash, cancellationToken).ConfigureAwait(false);
            counts.Span[i] = scraped;
        }

        return null;
    }

    /// <summary>Drops peers that stopped announcing; a keyed seeder's holdings go with it.</summary>
    public async ValueTask<int> ExpireAsync(CancellationToken cancellationToken)
    {
        var expired = await peers.ExpireAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        foreach (var (swarm, peer) in expired)
        {
            await ForgetAsync(peer.VolunteerId!, swarm, peer.Id, cancellationToken).ConfigureAwait(false);
            LogVolunteerPeerExpired(logger, peer.VolunteerId!, swarm, peer.Address);
        }

        return expired.Count;
    }

    private async ValueTask RecordVolunteerAsync(KeyedVolunteer volunteer, AnnounceRequest request, IReadOnlyCollection<string> contents, PreviousState previous, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (request.Left == 0)
        {
            await holdings.SeedingAsync(volunteer.Id, request.InfoHash, request.PeerId, contents, rewrite: previous == PreviousState.Absent, cancellationToken).ConfigureAwait(false);
            if (previous != PreviousState.Seeder)
            {
                LogVolunteerSeeding(logger, volunteer.Id, request.InfoHash);
            }
        }
        else
        {
            await holdings.NotSeedingAsync(volunteer.Id, request.InfoHash, request.PeerId, cancellationToken).ConfigureAwait(false);
        }

        var (up, down) = rates.Observe(volunteer.Id, request.InfoHash, request.PeerId, request.Uploaded, request.Downloaded, now);
        var f = request.Feedback;
        var report = new LoadReport(
            f.ActiveTransfers ?? 0,
            f.Peers ?? 0,
            f.UploadBytesPerSecond ?? up,
            f.DownloadBytesPerSecond ?? down,
            f.CapacityBytesPerSecond ?? 0,
            now,
            f.CustomerBytesLeft);
        await holdings.ReportLoadAsync(volunteer.Id, report, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask ForgetAsync(string volunteerId, InfoHash swarm, PeerId peer, CancellationToken cancellationToken)
    {
        rates.Forget(volunteerId, swarm, peer);
        await holdings.NotSeedingAsync(volunteerId, swarm, peer, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Volunteer {Volunteer} seeds torrent {InfoHash}: it now holds its files")]
    private static partial void LogVolunteerSeeding(ILogger logger, string volunteer, InfoHash infoHash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Volunteer {Volunteer}'s peer {Address} in torrent {InfoHash} stopped announcing and expired")]
    private static partial void LogVolunteerPeerExpired(ILogger logger, string volunteer, InfoHash infoHash, PeerAddress address);
}
