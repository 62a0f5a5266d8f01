using System.Collections.Concurrent;

namespace Gateway.Selection;

/// <summary>
/// What this gateway sent each volunteer itself: transfers in flight (proxy mode, exact) and redirects
/// by second (redirect mode, where completion is not seen). Between two load reports this is the part of
/// the load the report cannot know yet.
/// </summary>
public sealed class DispatchLedger(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, VolunteerDispatches> _byVolunteer = new(StringComparer.Ordinal);

    public void RecordRedirect(string volunteerId) => For(volunteerId).RecordRedirect(time.GetUtcNow());

    public void BeginTransfer(string volunteerId) => For(volunteerId).BeginTransfer();

    public void EndTransfer(string volunteerId) => For(volunteerId).EndTransfer();

    public int InFlight(string volunteerId) => _byVolunteer.TryGetValue(volunteerId, out var d) ? d.InFlight : 0;

    /// <summary>Redirects made at or after <paramref name="since"/> (never older than the ledger's window).</summary>
    public int RedirectsSince(string volunteerId, DateTimeOffset since) =>
        _byVolunteer.TryGetValue(volunteerId, out var d) ? d.RedirectsSince(since, time.GetUtcNow()) : 0;

    private VolunteerDispatches For(string volunteerId) => _byVolunteer.GetOrAdd(volunteerId, static _ => new VolunteerDispatches());

    private sealed class VolunteerDispatches
    {
        // One bucket a second over the longest memory we allow (Selection:DispatchMemory ≤ 10 min).
        private const int Buckets = 601;
        private readonly long[] _second = new long[Buckets];
        private readonly int[] _count = new int[Buckets];
        private readonly Lock _gate = new();
        private int _inFlight;

        public int InFlight => Volatile.Read(ref _inFlight);

        public void BeginTransfer() => Interlocked.Increment(ref _inFlight);

        public void EndTransfer() => Interlocked.Decrement(ref _inFlight);

        public void RecordRedirect(DateTimeOffset now)
        {
            var second = now.ToUnixTimeSeconds();
            var slot = (int)(second % Buckets);
            lock (_gate)
            {
                if (_second[slot] != second)
                {
                    _second[slot] = second;
                    _count[slot] = 0;
                }

                _count[slot]++;
            }
        }

        public int RedirectsSince(DateTimeOffset since, DateTimeOffset now)
        {
            var last = now.ToUnixTimeSeconds();
            var first = Math.Max(since.ToUnixTimeSeconds(), last - Buckets + 1);
            var total = 0;
            lock (_gate)
            {
                for (var second = first; second <= last; second++)
                {
                    var slot = (int)(second % Buckets);
                    if (_second[slot] == second)
                    {
                        total += _count[slot];
                    }
                }
            }

            return total;
        }
    }
}
