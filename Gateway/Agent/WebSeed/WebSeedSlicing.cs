using Gateway.Feedback.Tracker;

namespace Gateway.Agent.WebSeed;

/// <summary>What the relay does with one web-seed request.</summary>
public enum WebSeedAction
{
    /// <summary>Fetch from the origin, up to <see cref="WebSeedDecision.End"/>.</summary>
    Forward,

    /// <summary>Not this agent's to fetch now: the engine should try again later (and peers fill it meanwhile).</summary>
    Defer,
}

/// <summary>The relay's answer to a range starting at a given offset of the torrent.</summary>
/// <param name="Action">Forward to the origin or defer.</param>
/// <param name="End">Exclusive end, in the torrent's byte space, of what may be fetched from the origin.</param>
/// <param name="Reason">Why, for the status page and the tests: <c>slice</c>, <c>alone</c>, <c>stalled</c>, <c>settling</c>, <c>foreign</c>.</param>
public readonly record struct WebSeedDecision(WebSeedAction Action, long End, string Reason);

/// <summary>
/// One torrent's web-seed slicing: the slice the tracker assigned (read from the announce replies) and the rules
/// that decide, for a range the engine wants from the web seed, whether this agent pays the origin for it.
/// </summary>
/// <remarks>
/// Slice i of n is the i-th of n equal runs of pieces. A range that starts in this agent's slice is fetched up to
/// the slice's end; one that starts elsewhere is deferred, because another agent fetches it and peers bring it.
/// It never stalls: with no slice (a swarm larger than one reply, or a tracker without slices) or alone in the
/// swarm, everything is fetched once the first announces had time to see the others (<c>settle</c>); and when the
/// torrent made no progress for <c>stall</c> (an owner that left, peers that choke this one), everything is too.
/// </remarks>
public sealed class WebSeedSlicing(WebSeedLayout layout, DateTimeOffset addedAt)
{
    private readonly Lock _lock = new();
    private WebSeedSlice? _slice;
    private long _completed;
    private DateTimeOffset _progressAt = addedAt;
    private long _forwardedBytes;
    private long _deferred;
    private readonly Dictionary<string, long> _byReason = new(StringComparer.Ordinal);

    public WebSeedLayout Layout { get; } = layout;

    public DateTimeOffset AddedAt { get; } = addedAt;

    /// <summary>The slice of the last announce reply that had one.</summary>
    public WebSeedSlice? Slice
    {
        get
        {
            lock (_lock)
            {
                return _slice;
            }
        }
    }

    /// <summary>Bytes fetched from the origin through the relay.</summary>
    public long ForwardedBytes => Interlocked.Read(ref _forwardedBytes);

    /// <summary>Requests the relay deferred.</summary>
    public long Deferred => Interlocked.Read(ref _deferred);

    /// <summary>An announce reply arrived; a reply without a slice keeps the last one (a <c>stopped</c> or a sampled reply says nothing new).</summary>
    public void Observe(WebSeedSlice? slice)
    {
        if (slice is { Count: > 0 } s && s.Index >= 0 && s.Index < s.Count)
        {
            lock (_lock)
            {
                _slice = s;
            }
        }
    }

    /// <summary>Decides for a range starting at <paramref name="offset"/> (torrent byte space); <paramref name="completed"/> is the engine's progress now.</summary>
    public WebSeedDecision Decide(long offset, long completed, DateTimeOffset now, TimeSpan settle, TimeSpan stall)
    {
        WebSeedSlice? slice;
        lock (_lock)
        {
            if (completed > _completed)
            {
                _completed = completed;
                _progressAt = now;
            }

            slice = _slice;
            if (slice is not { Count: > 1 } && now - AddedAt >= settle)
            {
                return new WebSeedDecision(WebSeedAction.Forward, Layout.Size, slice is null ? "no slice" : "alone");
            }

            if (now - _progressAt >= stall)
            {
                return new WebSeedDecision(WebSeedAction.Forward, Layout.Size, "stalled");
            }
        }

        if (slice is not { Count: > 1 } owned)
        {
            return Defer("settling");
        }

        var pieces = Layout.PieceCount;
        var piece = Math.Min(offset / Layout.PieceLength, pieces - 1);
        if (piece * owned.Count / pieces != owned.Index)
        {
            return Defer("foreign");
        }

        // The first piece of the next slice: the smallest p with p * n / P >= index + 1.
        var endPiece = (((owned.Index + 1L) * pieces) + owned.Count - 1) / owned.Count;
        return new WebSeedDecision(WebSeedAction.Forward, Math.Min(Layout.Size, endPiece * Layout.PieceLength), "slice");
    }

    /// <summary>Bytes fetched from the origin through the relay, by the reason of the decision that let them through.</summary>
    public IReadOnlyDictionary<string, long> ForwardedByReason
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, long>(_byReason, StringComparer.Ordinal);
            }
        }
    }

    public void Forwarded(long bytes, string reason)
    {
        Interlocked.Add(ref _forwardedBytes, bytes);
        lock (_lock)
        {
            _byReason[reason] = _byReason.GetValueOrDefault(reason) + bytes;
        }
    }

    private WebSeedDecision Defer(string reason)
    {
        Interlocked.Increment(ref _deferred);
        return new WebSeedDecision(WebSeedAction.Defer, 0, reason);
    }
}
