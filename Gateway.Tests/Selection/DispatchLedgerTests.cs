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
