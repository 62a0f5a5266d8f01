namespace Gateway.State;

/// <summary>One change to the swarm state, published by a store to everyone watching it.</summary>
public abstract record HoldingsChange(string VolunteerId)
{
    /// <summary>When the store applied it (its own clock), when it says so: the version of the holdings it leaves.</summary>
    public DateTimeOffset? AppliedAt { get; init; }
}

/// <summary>The volunteer now holds <paramref name="Added"/> and no longer holds <paramref name="Removed"/>.</summary>
public sealed record HoldingsChanged(string VolunteerId, IReadOnlyList<string> Added, IReadOnlyList<string> Removed)
    : HoldingsChange(VolunteerId);

/// <summary>A new load report arrived for the volunteer.</summary>
public sealed record LoadReported(string VolunteerId, LoadReport Report) : HoldingsChange(VolunteerId);

/// <summary>The volunteer left: it holds nothing and has no load record any more.</summary>
public sealed record VolunteerRemoved(string VolunteerId) : HoldingsChange(VolunteerId);

/// <summary>
/// The first item of every watch: every change from here on will be delivered. A reader takes its full
/// snapshot after this, so no change can fall between the snapshot and the feed.
/// </summary>
public sealed record WatchStarted() : HoldingsChange(string.Empty);
