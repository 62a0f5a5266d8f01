namespace Gateway.Delivery.Load;

/// <summary>
/// One volunteer's proxied transfers in flight, counted by the 250 ms segment they began in, so that "those that began
/// since the last report" costs the same however many are in flight. Segments older than
/// <see cref="DispatchLedger.LongestMemory"/> are folded into one count (a report that old is not fresh anyway).
/// The answer for one <c>since</c> is kept and moved by each begin and end, so it is summed again only when the
/// volunteer's report changes.
/// </summary>
internal sealed class TransferStarts
{
    private static readonly int Segments = (int)(DispatchLedger.LongestMemory.Ticks / DispatchBuckets.SegmentTicks);

    private readonly Lock _gate = new();
    private int[]? _bySegment;
    private long _newest = long.MinValue;
    private int _older;

    private long _cachedSince = long.MaxValue;
    private int _cached;

    public void Begin(long now)
    {
        var segment = SegmentOf(now);
        lock (_gate)
        {
            Advance(segment);
            Counts()[Slot(segment)]++;
            if (segment >= _cachedSince)
            {
                _cached++;
            }
        }
    }

    public void End(long begunAt, long now)
    {
        var segment = SegmentOf(begunAt);
        lock (_gate)
        {
            Advance(SegmentOf(now));
            if (segment > _newest - Segments && segment <= _newest)
            {
                Counts()[Slot(segment)]--;
            }
            else
            {
                _older--;
            }

            if (segment >= _cachedSince)
            {
                _cached--;
            }
        }
    }

    /// <summary>Transfers in flight that began in the segment of <paramref name="since"/> or later.</summary>
    public int Since(long since, long now)
    {
        var first = SegmentOf(since);
        lock (_gate)
        {
            Advance(SegmentOf(now));
            if (first == _cachedSince)
            {
                return _cached;
            }

            var total = first <= _newest - Segments ? _older : 0;
            if (_bySegment is { } counts)
            {
                for (var segment = Math.Max(first, _newest - Segments + 1); segment <= _newest; segment++)
                {
                    total += counts[Slot(segment)];
                }
            }

            (_cachedSince, _cached) = (first, total);
            return total;
        }
    }

    private static long SegmentOf(long ticks) =>
        ticks >= 0 ? ticks / DispatchBuckets.SegmentTicks : -((-ticks + DispatchBuckets.SegmentTicks - 1) / DispatchBuckets.SegmentTicks);

    private static int Slot(long segment) => (int)(((segment % Segments) + Segments) % Segments);

    private int[] Counts() => _bySegment ??= new int[Segments];

    // Moves the window to end at `segment`; the segments that leave it fold into the older count.
    private void Advance(long segment)
    {
        if (segment <= _newest)
        {
            return;
        }

        if (_bySegment is { } counts && _newest != long.MinValue)
        {
            var leaving = Math.Min(segment - _newest, Segments);
            for (var i = 1; i <= leaving; i++)
            {
                var slot = Slot(_newest - Segments + i);
                _older += counts[slot];
                counts[slot] = 0;
            }
        }

        _newest = segment;
    }
}
