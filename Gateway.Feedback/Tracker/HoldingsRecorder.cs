using System.Collections.Concurrent;
using Gateway.Core.Torrents;
using Gateway.State;

namespace Gateway.Feedback.Tracker;

/// <summary>
/// Writes a volunteer's holdings and load through to the holdings store: it holds a content id while at least one of
/// its keyed peers seeds a torrent that contains it. Seeding is recorded per peer id, so repeated or reordered
/// announces (a re-announce before an expiry sweep, two peers of one volunteer) never double count. What it recorded
/// is written again in full when the store lost its state (<see cref="RewriteAllAsync"/>).
/// </summary>
public sealed class HoldingsRecorder(IHoldingsStore store) : IDisposable
{
    // One writer at a time: each change is computed against the previous one and must reach the store in order.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Dictionary<InfoHash, Seeding>> _byVolunteer = new(StringComparer.Ordinal);

    // Outside the gate: a load report comes with every announce and needs no order against holdings.
    private readonly ConcurrentDictionary<string, LoadReport> _loads = new(StringComparer.Ordinal);

    /// <summary>Records the volunteer's latest load report and writes it through.</summary>
    public ValueTask ReportLoadAsync(string volunteerId, LoadReport report, CancellationToken cancellationToken)
    {
        _loads.AddOrUpdate(volunteerId, static (_, next) => next, static (_, old, next) => next.ReportedAt >= old.ReportedAt ? next : old, report);
        return store.ReportLoadAsync(volunteerId, report, cancellationToken);
    }

    /// <summary>
    /// Writes again everything recorded: each volunteer's full holdings (as an addition, so what another tracker wrote for
    /// it stays) and its latest load reported after <paramref name="loadsSince"/> (older ones the store would have expired).
    /// </summary>
    /// <returns>How many volunteers were written.</returns>
    public async ValueTask<int> RewriteAllAsync(DateTimeOffset loadsSince, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var stale in _loads.Where(l => l.Value.ReportedAt <= loadsSince))
            {
                _loads.TryRemove(stale);
            }

            var volunteers = _byVolunteer.Keys.Union(_loads.Keys, StringComparer.Ordinal).ToList();
            foreach (var volunteer in volunteers)
            {
                if (_byVolunteer.TryGetValue(volunteer, out var torrents))
                {
                    await store.UpdateHoldingsAsync(volunteer, HeldBy(torrents), [], cancellationToken).ConfigureAwait(false);
                }

                if (_loads.TryGetValue(volunteer, out var load))
                {
                    await store.ReportLoadAsync(volunteer, load, cancellationToken).ConfigureAwait(false);
                }
            }

            return volunteers.Count;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The peer seeds the torrent: the volunteer holds its contents. With <paramref name="rewrite"/> (the peer store did
    /// not know the peer: a Redis restarted empty, or an expiry not swept yet) the contents are written again even
    /// when they were recorded before, so a lost swarm state rebuilds from the next announces.
    /// </summary>
    public async ValueTask SeedingAsync(string volunteerId, InfoHash torrent, PeerId peer, IReadOnlyCollection<string> contents, bool rewrite, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_byVolunteer.TryGetValue(volunteerId, out var torrents))
            {
                _byVolunteer[volunteerId] = torrents = [];
            }

            if (torrents.TryGetValue(torrent, out var seeding))
            {
                seeding.Peers.Add(peer);
                if (rewrite)
                {
                    await store.UpdateHoldingsAsync(volunteerId, seeding.Contents, [], cancellationToken).ConfigureAwait(false);
                }

                return;
            }

            var held = HeldBy(torrents);
            torrents[torrent] = new Seeding([peer], contents);
            var added = contents.Where(c => !held.Contains(c)).ToArray();
            if (added.Length > 0)
            {
                await store.UpdateHoldingsAsync(volunteerId, added, [], cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The peer no longer seeds the torrent (stopped, expired, or downloading again).</summary>
    public async ValueTask NotSeedingAsync(string volunteerId, InfoHash torrent, PeerId peer, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_byVolunteer.TryGetValue(volunteerId, out var torrents) || !torrents.TryGetValue(torrent, out var seeding)
                || !seeding.Peers.Remove(peer) || seeding.Peers.Count > 0)
            {
                return;
            }

            torrents.Remove(torrent);
            if (torrents.Count == 0)
            {
                _byVolunteer.Remove(volunteerId);
            }

            var held = HeldBy(torrents);
            var removed = seeding.Contents.Where(c => !held.Contains(c)).ToArray();
            if (removed.Length > 0)
            {
                await store.UpdateHoldingsAsync(volunteerId, [], removed, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private static HashSet<string> HeldBy(Dictionary<InfoHash, Seeding> torrents) =>
        torrents.Values.SelectMany(s => s.Contents).ToHashSet(StringComparer.Ordinal);

    private sealed record Seeding(HashSet<PeerId> Peers, IReadOnlyCollection<string> Contents);
}
