using System.Collections.Concurrent;

namespace Gateway.Delivery.Load;

/// <summary>
/// What this gateway sent each volunteer itself: transfers in flight (proxy mode, exact) and redirects
/// with the time each is expected to last (redirect mode, where completion is not seen). Between two load
/// reports this is the part of the load the report cannot know yet.
/// </summary>
/// <remarks>
/// Redirects are not kept one by one: a pick reads this for every candidate, and at tens of thousands of redirects a
/// second a list of open redirects made each pick slower as the load grew (the redirect path once cost 8× a bare
/// Kestrel 302 for it). Each volunteer keeps buckets instead (<see cref="DispatchBuckets"/>), so recording and reading
/// cost the same whatever the rate, and memory is bounded by <see cref="MaxEntriesPerVolunteer"/>.
/// What that costs in exactness: a redirect counts from the start of the 250 ms segment it was made in (so
/// <c>since</c> is rounded down to 250 ms), and stops counting early by at most 250 ms plus 6.25 % of its expected
/// length (measured from the start of its segment), never late. While it counts, its bytes fall exactly linearly.
/// </remarks>
public sealed class DispatchLedger(TimeProvider time)
{
    /// <summary>How long a redirect recorded without an expected duration counts, and the longest any counts.</summary>
    public static readonly TimeSpan LongestMemory = TimeSpan.FromMinutes(10);

    /// <summary>The most buckets a volunteer's redirects can occupy, whatever the request rate.</summary>
    public static int MaxEntriesPerVolunteer => DispatchBuckets.MaxEntries;

    private readonly ConcurrentDictionary<string, VolunteerDispatches> _byVolunteer = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _origin = time.GetUtcNow();

    /// <summary>A redirect whose transfer length is unknown: it counts until the volunteer's next report (or the dispatch memory).</summary>
    public void RecordRedirect(string volunteerId) => RecordRedirect(volunteerId, LongestMemory);

    /// <summary>
    /// A redirect expected to keep the volunteer busy for <paramref name="expectedDuration"/>: a small file
    /// redirected a second ago is most likely gone, and counting it until the next announce would make the
    /// estimate mostly transfers that already ended.
    /// </summary>
    public void RecordRedirect(string volunteerId, TimeSpan expectedDuration) => RecordRedirect(volunteerId, expectedDuration, 0);

    /// <summary>As <see cref="RecordRedirect(string, TimeSpan)"/>, for a file of <paramref name="bytes"/> (0 = unknown).</summary>
    public void RecordRedirect(string volunteerId, TimeSpan expectedDuration, long bytes)
    {
        var duration = expectedDuration < TimeSpan.Zero ? TimeSpan.Zero : expectedDuration > LongestMemory ? LongestMemory : expectedDuration;
        For(volunteerId).Buckets.Record(Ticks(time.GetUtcNow()), duration.Ticks, Math.Max(0, bytes));
    }

    /// <summary>A proxied transfer begins; returns its start, which <see cref="EndTransfer"/> needs back.</summary>
    public DateTimeOffset BeginTransfer(string volunteerId)
    {
        var now = time.GetUtcNow();
        For(volunteerId).BeginTransfer(Ticks(now));
        return now;
    }

    /// <summary>The transfer that began at <paramref name="begunAt"/> (what <see cref="BeginTransfer"/> returned) ended.</summary>
    public void EndTransfer(string volunteerId, DateTimeOffset begunAt) => For(volunteerId).EndTransfer(Ticks(begunAt), Ticks(time.GetUtcNow()));

    public int InFlight(string volunteerId) => _byVolunteer.TryGetValue(volunteerId, out var d) ? d.InFlight : 0;

    /// <summary>
    /// Transfers in flight that began at or after <paramref name="since"/> (rounded down to 250 ms). The ones that began
    /// before a volunteer's report are in its report already (its <c>x_http</c>), so the load estimate counts only these.
    /// </summary>
    public int InFlightSince(string volunteerId, DateTimeOffset since) =>
        _byVolunteer.TryGetValue(volunteerId, out var d) ? d.Starts.Since(Ticks(since), Ticks(time.GetUtcNow())) : 0;

    /// <summary>Redirects made at or after <paramref name="since"/> whose expected transfer has not ended yet.</summary>
    public int RedirectsSince(string volunteerId, DateTimeOffset since) =>
        _byVolunteer.TryGetValue(volunteerId, out var d) ? d.Buckets.Open(Ticks(since), Ticks(time.GetUtcNow())).Count : 0;

    /// <summary>
    /// The bytes the redirects made at or after <paramref name="since"/> are still expected to send: each file's size
    /// falling linearly from its redirect to the end of its expected transfer.
    /// </summary>
    public double BytesLeftSince(string volunteerId, DateTimeOffset since)
    {
        if (!_byVolunteer.TryGetValue(volunteerId, out var d))
        {
            return 0;
        }

        var now = Ticks(time.GetUtcNow());
        return d.Buckets.Open(Ticks(since), now).BytesLeftAt(now);
    }

    /// <summary>How many buckets the volunteer's redirects occupy now (for the bound's test and diagnostics).</summary>
    internal int RetainedEntries(string volunteerId) => _byVolunteer.TryGetValue(volunteerId, out var d) ? d.Buckets.Entries : 0;

    // Ticks from the ledger's creation: small numbers keep the bytes' sums exact in a double.
    private long Ticks(DateTimeOffset at) => at.UtcTicks - _origin.UtcTicks;

    private VolunteerDispatches For(string volunteerId) => _byVolunteer.GetOrAdd(volunteerId, static _ => new VolunteerDispatches());

    private sealed class VolunteerDispatches
    {
        private int _inFlight;

        public DispatchBuckets Buckets { get; } = new();

        public TransferStarts Starts { get; } = new();

        public int InFlight => Volatile.Read(ref _inFlight);

        public void BeginTransfer(long now)
        {
            Interlocked.Increment(ref _inFlight);
            Starts.Begin(now);
        }

        public void EndTransfer(long begunAt, long now)
        {
            Interlocked.Decrement(ref _inFlight);
            Starts.End(begunAt, now);
        }
    }
}
