namespace Gateway.State;

/// <summary>
/// What a gateway knows about its store right now, for metrics and the readiness page: whether it
/// reaches the store, when its view last matched the store, and how stale the view may be.
/// </summary>
public sealed class StoreHealth(TimeProvider time)
{
    private Func<bool> _connected = static () => true;
    private long _lastSnapshotTicks = DateTimeOffset.MinValue.UtcTicks;
    private long _lastChangeTicks = DateTimeOffset.MinValue.UtcTicks;
    private long _lastChangeLagTicks;
    private long _following;
    private long _pendingWrites;
    private long _carried;

    /// <summary>Memory or Redis.</summary>
    public StoreKind Kind { get; set; } = StoreKind.Memory;

    /// <summary>Whether the store's connection is up (always true in memory).</summary>
    public bool IsConnected => _connected();

    /// <summary>Whether the view is subscribed to the store's changes and took its last full read without error.</summary>
    public bool IsFollowing => Interlocked.Read(ref _following) == 1;

    /// <summary>When the view last took a full snapshot of the store.</summary>
    public DateTimeOffset LastSnapshotAt => new(Interlocked.Read(ref _lastSnapshotTicks), TimeSpan.Zero);

    /// <summary>When the view last applied a change notification.</summary>
    public DateTimeOffset LastChangeAt => new(Interlocked.Read(ref _lastChangeTicks), TimeSpan.Zero);

    /// <summary>From the store applying the last change to this view applying it (the measured notification delay).</summary>
    public TimeSpan LastChangeLag => TimeSpan.FromTicks(Interlocked.Read(ref _lastChangeLagTicks));

    /// <summary>Writes held back because the store could not take them; written when it is back.</summary>
    public long PendingWrites => Interlocked.Read(ref _pendingWrites);

    /// <summary>Volunteers the view keeps from before a store reset, not yet written again (0 when the view is the store's).</summary>
    public long CarriedOverReset => Interlocked.Read(ref _carried);

    /// <summary>
    /// How far behind the store the view may be: the last notification delay while following, else the
    /// time since the last full read (the view has heard nothing it can trust since).
    /// </summary>
    public TimeSpan Staleness
    {
        get
        {
            if (IsFollowing && IsConnected)
            {
                return LastChangeLag;
            }

            var last = LastSnapshotAt;
            return last == DateTimeOffset.MinValue ? TimeSpan.MaxValue : time.GetUtcNow() - last;
        }
    }

    /// <summary>Where <see cref="IsConnected"/> asks (the store's connection), so it is never out of date.</summary>
    public void ReadConnectionFrom(Func<bool> isConnected) => _connected = isConnected;

    public void SnapshotTaken()
    {
        Interlocked.Exchange(ref _lastSnapshotTicks, time.GetUtcNow().UtcTicks);
        Interlocked.Exchange(ref _following, 1);
    }

    public void FollowingStopped() => Interlocked.Exchange(ref _following, 0);

    /// <summary>Records a change notification and, when the store stamped it, how long it took to arrive.</summary>
    public void ChangeReceived(DateTimeOffset? appliedByStoreAt)
    {
        var now = time.GetUtcNow();
        Interlocked.Exchange(ref _lastChangeTicks, now.UtcTicks);
        if (appliedByStoreAt is { } at)
        {
            Interlocked.Exchange(ref _lastChangeLagTicks, Math.Max(0, (now - at).Ticks));
        }
    }

    public void SetPendingWrites(long count) => Interlocked.Exchange(ref _pendingWrites, count);

    public void SetCarriedOverReset(long count) => Interlocked.Exchange(ref _carried, count);

    /// <summary>One line for the readiness page.</summary>
    public string Describe()
    {
        var snapshot = LastSnapshotAt == DateTimeOffset.MinValue ? "never" : LastSnapshotAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var staleness = Staleness == TimeSpan.MaxValue ? "unknown" : $"{Staleness.TotalMilliseconds:0}ms";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"store {Kind.ToString().ToLowerInvariant()} {(IsConnected ? "connected" : "DISCONNECTED")}, {(IsFollowing ? "following" : "not following")}, last snapshot {snapshot}, staleness {staleness}, pending writes {PendingWrites}")
            + (CarriedOverReset > 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", {CarriedOverReset} volunteers kept over a store reset") : string.Empty);
    }
}
