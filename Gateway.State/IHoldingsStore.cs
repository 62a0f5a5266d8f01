namespace Gateway.State;

/// <summary>
/// The one thing the tracker (writer) and the gateways (readers) share: which volunteer holds which
/// content completely, and how loaded each volunteer says it is. Implemented in memory (one process)
/// and in Redis (several gateways and trackers).
/// </summary>
/// <remarks>
/// Holdings are kept per content id (the SHA-256 of the bytes), so any holder of identical bytes serves
/// every name they are published under; the tracker maps a completed torrent to its content ids.
/// Readers never call the store on a customer request: they keep a view that follows <see cref="WatchAsync"/>
/// and is reconciled now and then from <see cref="GetSnapshotAsync"/>.
/// </remarks>
public interface IHoldingsStore
{
    /// <summary>Replaces everything the volunteer holds (an inventory).</summary>
    ValueTask ReplaceHoldingsAsync(string volunteerId, IReadOnlyCollection<string> contentIds, CancellationToken cancellationToken);

    /// <summary>Adds to and removes from what the volunteer holds (an announce of a completed or dropped torrent).</summary>
    ValueTask UpdateHoldingsAsync(string volunteerId, IReadOnlyCollection<string> added, IReadOnlyCollection<string> removed, CancellationToken cancellationToken);

    /// <summary>Records the volunteer's latest load report.</summary>
    ValueTask ReportLoadAsync(string volunteerId, LoadReport report, CancellationToken cancellationToken);

    /// <summary>Forgets the volunteer: its holdings and load (it stopped, or expired).</summary>
    ValueTask RemoveVolunteerAsync(string volunteerId, CancellationToken cancellationToken);

    /// <summary>A consistent copy of the whole state, for a reader's first load and periodic reconcile.</summary>
    ValueTask<HoldingsSnapshot> GetSnapshotAsync(CancellationToken cancellationToken);

    /// <summary>Every change from now on, in the order the store applied them, until cancelled.</summary>
    IAsyncEnumerable<HoldingsChange> WatchAsync(CancellationToken cancellationToken);
}
