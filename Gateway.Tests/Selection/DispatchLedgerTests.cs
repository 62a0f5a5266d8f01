using Gateway.Delivery.Load;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Selection;

public sealed class DispatchLedgerTests
{
    [Fact]
    public void Counts_redirects_since_a_time_and_forgets_those_without_a_duration_after_ten_minutes()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var ledger = new DispatchLedger(time);
        var start = time.GetUtcNow();
        ledger.RecordRedirect("v");
        time.Advance(TimeSpan.FromSeconds(1));
        ledger.RecordRedirect("v");
        ledger.RecordRedirect("v");
        Assert.Equal(3, ledger.RedirectsSince("v", start));
        Assert.Equal(2, ledger.RedirectsSince("v", start.AddSeconds(1)));
        Assert.Equal(0, ledger.RedirectsSince("other", start));

        // Ten minutes and more later the old redirects are over, whatever happened in between.
        time.Advance(TimeSpan.FromSeconds(601));
        ledger.RecordRedirect("v");
        Assert.Equal(1, ledger.RedirectsSince("v", start));
    }

    [Fact]
    public void A_redirect_with_an_expected_duration_stops_counting_when_it_ends()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var ledger = new DispatchLedger(time);
        var start = time.GetUtcNow();
        ledger.RecordRedirect("v", TimeSpan.FromSeconds(2));
        ledger.RecordRedirect("v", TimeSpan.FromSeconds(10));
        Assert.Equal(2, ledger.RedirectsSince("v", start));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, ledger.RedirectsSince("v", start));
        time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(0, ledger.RedirectsSince("v", start));
    }

    [Fact]
    public void A_redirects_bytes_fall_linearly_to_zero_over_its_expected_transfer_and_only_those_since_count()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var ledger = new DispatchLedger(time);
        var start = time.GetUtcNow();
        ledger.RecordRedirect("v", TimeSpan.FromSeconds(10), 1_000_000);
        time.Advance(TimeSpan.FromSeconds(2));
        ledger.RecordRedirect("v", TimeSpan.FromSeconds(2), 500_000);
        Assert.Equal(800_000 + 500_000, ledger.BytesLeftSince("v", start), 3);
        Assert.Equal(500_000, ledger.BytesLeftSince("v", start.AddSeconds(1)), 3);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(700_000 + 250_000, ledger.BytesLeftSince("v", start), 3);
        time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(0, ledger.BytesLeftSince("v", start), 3);
        Assert.Equal(0, ledger.BytesLeftSince("other", start), 3);
    }

    [Fact]
    public void Transfers_in_flight_go_up_and_down()
    {
        var ledger = new DispatchLedger(TimeProvider.System);
        var first = ledger.BeginTransfer("v");
        ledger.BeginTransfer("v");
        ledger.EndTransfer("v", first);
        Assert.Equal(1, ledger.InFlight("v"));
    }

    [Fact]
    public void A_million_redirects_in_a_minute_keep_the_ledger_within_its_fixed_bound()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var ledger = new DispatchLedger(time);
        var random = new Random(1);
        var longest = TimeSpan.FromSeconds(30);
        for (var i = 0; i < 1_000_000; i++)
        {
            // 60 µs apart: a minute of ~16,700 redirects a second to one volunteer, lengths from 0.2 s to the 30 s default memory.
            time.Advance(TimeSpan.FromTicks(600));
            ledger.RecordRedirect("v", TimeSpan.FromMilliseconds(200 + random.Next(29_800)), 1 + random.Next(10_000_000));
        }

        var retained = ledger.RetainedEntries("v");

        // The bound is structural: segments of the last 30 s times levels, whatever the rate (a list held a million).
        Assert.InRange(retained, 1, DispatchBuckets.EntryBound(longest));
        Assert.True(DispatchBuckets.EntryBound(longest) < 20_000, $"bound {DispatchBuckets.EntryBound(longest)}");
        Assert.InRange(ledger.RetainedEntries("v"), 1, DispatchLedger.MaxEntriesPerVolunteer);

        // Still open: ~16,700 a second times a mean length of 15.1 s is ~252,000, less the up to 6.25 % that stop early.
        Assert.InRange(ledger.RedirectsSince("v", time.GetUtcNow().AddSeconds(-60)), 230_000, 253_000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Buckets_count_each_redirect_no_later_than_its_end_and_no_earlier_than_the_documented_margin(int seed)
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        var ledger = new DispatchLedger(time);
        var random = new Random(seed);
        var made = new List<(long Made, long Ends, long Bytes)>();
        for (var i = 0; i < 5_000; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(random.Next(1, 40)));
            var duration = TimeSpan.FromMilliseconds(random.Next(1, 60_000));
            var bytes = random.Next(1, 50_000_000);
            ledger.RecordRedirect("v", duration, bytes);
            var now = (time.GetUtcNow() - start).Ticks;
            made.Add((now, now + duration.Ticks, bytes));
            if (i % 50 != 0)
            {
                continue;
            }

            // Since on a segment boundary (the ledger rounds since down to its 250 ms segments).
            var since = now - (random.Next(0, 240) * DispatchBuckets.SegmentTicks);
            since -= since % DispatchBuckets.SegmentTicks;
            var counted = ledger.RedirectsSince("v", start.AddTicks(since));
            var bytesLeft = ledger.BytesLeftSince("v", start.AddTicks(since));
            var exact = made.Where(m => m.Made >= since && m.Ends > now).ToList();
            var sure = exact.Where(m => now < m.Ends - Margin(m, since)).ToList();

            Assert.InRange(counted, sure.Count, exact.Count);
            Assert.InRange(bytesLeft, BytesLeft(sure, now) - 1, BytesLeft(exact, now) + 1);
        }

        // A redirect stops counting at most two steps (250 ms) plus 6.25 % of its end's distance from its segment's start early.
        static long Margin((long Made, long Ends, long Bytes) m, long since)
        {
            var segmentStart = m.Made - (m.Made % DispatchBuckets.SegmentTicks);
            return (2 * DispatchBuckets.StepTicks) + (long)((m.Ends - segmentStart) * 0.0625);
        }

        static double BytesLeft(List<(long Made, long Ends, long Bytes)> open, long now) =>
            open.Sum(m => (double)m.Bytes * (m.Ends - now) / (m.Ends - m.Made));
    }

    [Fact]
    public void Transfers_in_flight_since_a_time_are_those_that_began_then_or_later_and_have_not_ended()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var ledger = new DispatchLedger(time);
        var early = ledger.BeginTransfer("v");
        time.Advance(TimeSpan.FromSeconds(5));
        var report = time.GetUtcNow();
        var atReport = ledger.BeginTransfer("v");
        time.Advance(TimeSpan.FromSeconds(1));
        var late = ledger.BeginTransfer("v");
        Assert.Equal((3, 2), (ledger.InFlight("v"), ledger.InFlightSince("v", report)));

        // The one that ends is the one that began: the early one ending leaves both later ones counted.
        ledger.EndTransfer("v", early);
        Assert.Equal((2, 2), (ledger.InFlight("v"), ledger.InFlightSince("v", report)));
        ledger.EndTransfer("v", late);
        ledger.EndTransfer("v", atReport);
        Assert.Equal((0, 0), (ledger.InFlight("v"), ledger.InFlightSince("v", DateTimeOffset.MinValue)));
        Assert.Equal(0, ledger.InFlightSince("other", DateTimeOffset.MinValue));
    }
}
