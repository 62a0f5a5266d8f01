namespace Gateway.Delivery.Load;

/// <summary>
/// One volunteer's open redirects, in buckets: a queue of 250 ms segments by the time the redirect was made, each
/// holding its redirects by the level (time from the segment's start) at which they stop counting. A level keeps the
/// count of its redirects and the sums that give their bytes left exactly (each redirect's bytes fall linearly, so the
/// bytes left of many are <c>Σ rate·end − now·Σ rate</c>). Recording touches one level of the newest segment; reading
/// sums the segments since <c>since</c>, and is cached for the rest of the 125 ms step, so a pick costs the same
/// at 10 redirects a second as at 10,000.
/// </summary>
/// <remarks>
/// Times are ticks from the ledger's creation. Levels are 125 ms apart up to 2 s, then 6.25 % apart up to
/// <see cref="DispatchLedger.LongestMemory"/> plus one segment; a redirect lands on the level at or before its end,
/// so it stops counting at most two steps plus 6.25 % of its end's distance from the segment's start early, never late.
/// </remarks>
internal sealed class DispatchBuckets
{
    public const long SegmentTicks = 250 * TimeSpan.TicksPerMillisecond;
    public const long StepTicks = 125 * TimeSpan.TicksPerMillisecond;

    private static readonly long MaxStep = (DispatchLedger.LongestMemory.Ticks + SegmentTicks) / StepTicks;

    // Level → steps from the segment's start; and steps → the last level at or before them.
    private static readonly int[] LevelSteps = BuildLevels();
    private static readonly ushort[] LevelOfStep = BuildLevelOfStep();

    private readonly Lock _gate = new();
    private Segment[] _ring = new Segment[4];
    private int _head;
    private int _size;
    private Segment? _spare;

    private bool _cached;
    private long _cachedSince;
    private long _cachedStep;
    private OpenRedirects _cache;

    /// <summary>The most segments a volunteer can hold: one per 250 ms of the longest redirect, and the one it was made in.</summary>
    public static int MaxSegments => SegmentsFor(DispatchLedger.LongestMemory);

    /// <summary>The most entries (levels with redirects) a volunteer can hold, whatever the request rate.</summary>
    public static int MaxEntries => EntryBound(DispatchLedger.LongestMemory);

    /// <summary>Entries currently held.</summary>
    public int Entries
    {
        get
        {
            lock (_gate)
            {
                var total = 0;
                for (var i = 0; i < _size; i++)
                {
                    total += At(i).Count;
                }

                return total;
            }
        }
    }

    /// <summary>The entry bound when no redirect counts longer than <paramref name="longest"/>.</summary>
    public static int EntryBound(TimeSpan longest)
    {
        var steps = Math.Min(MaxStep, (longest.Ticks + SegmentTicks) / StepTicks);
        return SegmentsFor(longest) * (LevelOfStep[steps] + 1);
    }

    public void Record(long now, long durationTicks, long bytes)
    {
        if (durationTicks <= 0)
        {
            return;
        }

        lock (_gate)
        {
            Trim(now);
            var segment = Current(now);
            segment.Advance(now);
            var steps = Math.Min(MaxStep, (now - segment.Start + durationTicks) / StepTicks);
            var level = LevelOfStep[steps];
            if (segment.ExpiryOf(level) <= now)
            {
                return; // shorter than one step: it ends before it could be counted
            }

            var seconds = (double)durationTicks / TimeSpan.TicksPerSecond;
            var rate = bytes / seconds;
            var rateEnd = rate * ((double)(now + durationTicks) / TimeSpan.TicksPerSecond);
            segment.Add(level, rate, rateEnd);
            if (_cached && _cachedStep == FloorDiv(now, StepTicks) && segment.Number >= _cachedSince)
            {
                _cache = _cache.Plus(1, rate, rateEnd);
            }
        }
    }

    /// <summary>The redirects made in the segment of <paramref name="since"/> or later that still count at <paramref name="now"/>.</summary>
    public OpenRedirects Open(long since, long now)
    {
        var sinceSegment = FloorDiv(since, SegmentTicks);
        var step = FloorDiv(now, StepTicks);
        lock (_gate)
        {
            if (_cached && _cachedSince == sinceSegment && _cachedStep == step)
            {
                return _cache;
            }

            Trim(now);
            var open = default(OpenRedirects);
            for (var i = _size - 1; i >= 0; i--)
            {
                var segment = At(i);
                if (segment.Number < sinceSegment)
                {
                    break;
                }

                segment.Advance(now);
                open = open.Plus(segment.LiveRedirects, segment.LiveRate, segment.LiveRateEnd);
            }

            (_cached, _cachedSince, _cachedStep, _cache) = (true, sinceSegment, step, open);
            return open;
        }
    }

    private static int SegmentsFor(TimeSpan longest) => (int)((longest.Ticks + SegmentTicks - 1) / SegmentTicks) + 2;

    private static long FloorDiv(long value, long divisor) => value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor);

    private static int[] BuildLevels()
    {
        var levels = new List<int>();
        for (var s = 0; s <= 16; s++)
        {
            levels.Add(s);
        }

        while (levels[^1] < MaxStep)
        {
            var last = levels[^1];
            levels.Add(Math.Max(last + 1, (int)Math.Ceiling(last * 1.0625)));
        }

        return [.. levels];
    }

    private static ushort[] BuildLevelOfStep()
    {
        var table = new ushort[MaxStep + 1];
        var level = 0;
        for (var s = 0; s < table.Length; s++)
        {
            while (level + 1 < LevelSteps.Length && LevelSteps[level + 1] <= s)
            {
                level++;
            }

            table[s] = (ushort)level;
        }

        return table;
    }

    private Segment At(int i) => _ring[(_head + i) & (_ring.Length - 1)];

    // Drops the oldest segments once nothing in them counts; every segment goes within LongestMemory of its end.
    private void Trim(long now)
    {
        while (_size > 0)
        {
            var oldest = _ring[_head];
            oldest.Advance(now);
            if (oldest.LiveEntries > 0)
            {
                return;
            }

            _ring[_head] = null!;
            _head = (_head + 1) & (_ring.Length - 1);
            _size--;
            _spare = oldest;
            _cached = false;
        }
    }

    private Segment Current(long now)
    {
        var number = FloorDiv(now, SegmentTicks);
        if (_size > 0 && At(_size - 1) is var newest && newest.Number >= number)
        {
            return newest; // the clock did not move on (or went back): the newest segment stands for now
        }

        if (_size == _ring.Length)
        {
            var grown = new Segment[_ring.Length * 2];
            for (var i = 0; i < _size; i++)
            {
                grown[i] = At(i);
            }

            (_ring, _head) = (grown, 0);
        }

        var segment = _spare ?? new Segment();
        _spare = null;
        segment.Reset(number);
        _ring[(_head + _size) & (_ring.Length - 1)] = segment;
        _size++;
        return segment;
    }

    /// <summary>The redirects of one 250 ms segment, by level, with the sums of those that still count.</summary>
    private sealed class Segment
    {
        private ushort[] _level = new ushort[4];
        private int[] _redirects = new int[4];
        private double[] _rate = new double[4];
        private double[] _rateEnd = new double[4];
        private int _firstLive;

        public long Number { get; private set; }

        public long Start => Number * SegmentTicks;

        public int Count { get; private set; }

        public int LiveEntries => Count - _firstLive;

        public int LiveRedirects { get; private set; }

        public double LiveRate { get; private set; }

        public double LiveRateEnd { get; private set; }

        public long ExpiryOf(int level) => Start + (LevelSteps[level] * StepTicks);

        public void Reset(long number)
        {
            Number = number;
            (Count, _firstLive, LiveRedirects, LiveRate, LiveRateEnd) = (0, 0, 0, 0, 0);
        }

        /// <summary>Stops counting the levels that ended at or before <paramref name="now"/>.</summary>
        public void Advance(long now)
        {
            while (_firstLive < Count && ExpiryOf(_level[_firstLive]) <= now)
            {
                LiveRedirects -= _redirects[_firstLive];
                LiveRate -= _rate[_firstLive];
                LiveRateEnd -= _rateEnd[_firstLive];
                _firstLive++;
            }

            if (_firstLive == Count)
            {
                // Nothing counts: start the sums again from zero, so rounding never builds up.
                (LiveRedirects, LiveRate, LiveRateEnd) = (0, 0, 0);
            }
        }

        /// <summary>Adds a redirect at <paramref name="level"/>, which ends after every level already passed.</summary>
        public void Add(ushort level, double rate, double rateEnd)
        {
            var i = Count;
            while (i > _firstLive && _level[i - 1] > level)
            {
                i--;
            }

            if (i > _firstLive && _level[i - 1] == level)
            {
                i--;
            }
            else
            {
                Insert(i, level);
            }

            _redirects[i]++;
            _rate[i] += rate;
            _rateEnd[i] += rateEnd;
            LiveRedirects++;
            LiveRate += rate;
            LiveRateEnd += rateEnd;
        }

        private void Insert(int at, ushort level)
        {
            if (Count == _level.Length)
            {
                var size = _level.Length * 2;
                Array.Resize(ref _level, size);
                Array.Resize(ref _redirects, size);
                Array.Resize(ref _rate, size);
                Array.Resize(ref _rateEnd, size);
            }

            var tail = Count - at;
            Array.Copy(_level, at, _level, at + 1, tail);
            Array.Copy(_redirects, at, _redirects, at + 1, tail);
            Array.Copy(_rate, at, _rate, at + 1, tail);
            Array.Copy(_rateEnd, at, _rateEnd, at + 1, tail);
            (_level[at], _redirects[at], _rate[at], _rateEnd[at]) = (level, 0, 0, 0);
            Count++;
        }
    }
}

/// <summary>Open redirects summed: how many, and the sums that give their bytes left at any moment.</summary>
internal readonly record struct OpenRedirects(int Count, double Rate, double RateEnd)
{
    public OpenRedirects Plus(int count, double rate, double rateEnd) => new(Count + count, Rate + rate, RateEnd + rateEnd);

    /// <summary>Bytes still to send at <paramref name="now"/> (ticks from the ledger's creation); never below zero.</summary>
    public double BytesLeftAt(long now) => Count == 0 ? 0 : Math.Max(0, RateEnd - (Rate * ((double)now / TimeSpan.TicksPerSecond)));
}
