using System.Buffers.Binary;
using Gateway.Core.Announce;
using Gateway.Core.Torrents;

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
/// <param name="Reason">Why, for the status page, the bench and the tests: <c>slice</c>, <c>alone</c>, <c>no slice</c>, <c>stalled</c>, <c>settling</c>, <c>foreign</c>.</param>
public readonly record struct WebSeedDecision(WebSeedAction Action, long End, string Reason);

/// <summary>
/// One torrent's web-seed slicing: the members the tracker listed (read from the announce replies) and the rules
/// that decide, for a range the engine wants from the web seed, whether this agent pays the origin for it.
/// </summary>
/// <remarks>
/// The torrent is cut into blocks of whole pieces of about 1 MiB (aria2's web-seed segment), and each block belongs
/// to one member by rendezvous hashing. A range that starts in one of this agent's blocks is fetched up to the end of
/// its run of own blocks; one that starts elsewhere is deferred, because its owner fetches it and peers bring it.
/// The first reply is provisional (agents add a new torrent within a feed poll of each other, and the first to
/// announce sees few members): its slice is used only once <c>settle</c> has passed without a second reply.
/// It never stalls: with no members (a swarm larger than one reply, or a tracker without slices) or alone in the
/// swarm, everything is fetched once a second reply confirms it; and when the torrent made no progress for
/// <c>stall</c> (an owner that left, peers that choke this one, no reply at all), everything is too.
/// </remarks>
public sealed class WebSeedSlicing(WebSeedLayout layout, InfoHash infoHash, DateTimeOffset addedAt)
{
    /// <summary>About aria2's web-seed segment (<c>--min-split-size=1M</c>).</summary>
    public const long BlockTarget = 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly ulong _torrent = BinaryPrimitives.ReadUInt64BigEndian(infoHash.ToArray());
    private readonly Dictionary<string, long> _byReason = new(StringComparer.Ordinal);
    private WebSeedSlice? _slice;
    private int _replies;
    private long _completed;
    private DateTimeOffset _progressAt = addedAt;
    private long _forwardedBytes;
    private long _deferred;

    public WebSeedLayout Layout { get; } = layout;

    /// <summary>Whether the origin still serves this torrent's web seed.</summary>
    public WebSeedOriginWatch Origin { get; } = new();

    public DateTimeOffset AddedAt { get; } = addedAt;

    /// <summary>At most this much (whole pieces) is forwarded per request; see <see cref="ForwardLength"/>.</summary>
    public const long ForwardTarget = 256 * 1024;

    /// <summary>Bytes per block: whole pieces, about <see cref="BlockTarget"/>.</summary>
    public long BlockLength { get; } = Math.Max(1, BlockTarget / layout.PieceLength) * layout.PieceLength;

    /// <summary>
    /// What one request may take from the origin: whole pieces, about <see cref="ForwardTarget"/>. aria2 asks for a
    /// range up to the end of the free region and reads on only while the next piece is free; when peers filled it,
    /// it closes the connection, and whatever the origin had already sent into the socket buffers was paid for
    /// nothing. Ending each answer at a piece boundary makes it read everything it was sent.
    /// </summary>
    public long ForwardLength { get; } = Math.Max(1, ForwardTarget / layout.PieceLength) * layout.PieceLength;

    /// <summary>The members of the last announce reply that listed them.</summary>
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

    /// <summary>An announce reply arrived; one without members keeps the last members (a sampled reply says nothing new).</summary>
    public void Observe(WebSeedSlice? slice)
    {
        lock (_lock)
        {
            _replies++;
            if (slice is not null)
            {
                _slice = slice;
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

            if (now - _progressAt >= stall)
            {
                return Forward(offset, Layout.Size, "stalled");
            }

            var confirmed = _replies >= 2 || now - AddedAt >= settle;
            slice = confirmed ? _slice : null;
            if (confirmed && slice is not { Members.Count: > 1 })
            {
                return Forward(offset, Layout.Size, slice is null ? "no slice" : "alone");
            }
        }

        if (slice is null)
        {
            return Defer("settling");
        }

        var block = Math.Min(offset, Layout.Size - 1) / BlockLength;
        if (slice.OwnerOf(_torrent, block) != slice.Self)
        {
            return Defer("foreign");
        }

        // The run of own blocks that starts here (each answer still ends at the next ForwardLength boundary).
        var blocks = (Layout.Size + BlockLength - 1) / BlockLength;
        var end = block + 1;
        while (end < blocks && slice.OwnerOf(_torrent, end) == slice.Self)
        {
            end++;
        }

        return Forward(offset, end * BlockLength, "slice");
    }

    public void Forwarded(long bytes, string reason)
    {
        Interlocked.Add(ref _forwardedBytes, bytes);
        lock (_lock)
        {
            _byReason[reason] = _byReason.GetValueOrDefault(reason) + bytes;
        }
    }

    private WebSeedDecision Forward(long offset, long end, string reason) =>
        new(WebSeedAction.Forward, Math.Min(Math.Min(Layout.Size, end), ((offset / ForwardLength) + 1) * ForwardLength), reason);

    private WebSeedDecision Defer(string reason)
    {
        Interlocked.Increment(ref _deferred);
        return new WebSeedDecision(WebSeedAction.Defer, 0, reason);
    }
}
