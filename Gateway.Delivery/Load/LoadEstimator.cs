using Gateway.State;
using Gateway.State.Views;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Load;

/// <summary>
/// A volunteer's estimated load: its last fresh report plus what this gateway dispatched since, divided by
/// its weight. Feedback arrives once per announce interval; adding our own dispatches is what stops every
/// request in that interval from herding onto the volunteer that looked idle at the last report.
/// </summary>
public sealed class LoadEstimator(HoldingsView view, DispatchLedger ledger, IOptionsMonitor<SelectionOptions> options, TimeProvider time)
{
    /// <summary>The reported part of the load, or null when there is no fresh report (unknown, not zero).</summary>
    public double? ReportedLoad(string volunteerId, out DateTimeOffset reportedAt)
    {
        var settings = options.CurrentValue;
        var now = time.GetUtcNow();
        if (view.TryGetLoad(volunteerId, out var report) && now - report.ReportedAt <= settings.FeedbackMaxAge)
        {
            reportedAt = report.ReportedAt;
            var sync = SyncLoad(report, settings);
            return CustomersLeft(report, sync, now - report.ReportedAt, settings) + sync;
        }

        reportedAt = DateTimeOffset.MinValue;
        return null;
    }

    /// <summary>
    /// The reported customer transfers still expected to run <paramref name="age"/> after the report: all of them until
    /// their bytes left could have drained at the customers' share of the link (n/(n+sync) of it, as in
    /// <see cref="SyncLoad"/>), none after. All or none, not a count falling with the bytes: under fair sharing
    /// transfers of equal size all end together at that moment, and a linear fall made too little of them (simulated:
    /// 5–10 % longer mean waits at 50 % load with 30 s announces, where all-or-none was never worse than the count as
    /// reported; docs/evaluation.md). Without the bytes or a capacity, the count as reported.
    /// </summary>
    private static double CustomersLeft(LoadReport report, double sync, TimeSpan age, SelectionOptions settings)
    {
        var customers = report.ActiveTransfers;
        if (!settings.DrainReportedTransfers || customers <= 0 || report.CustomerBytesLeft is not { } left)
        {
            return customers;
        }

        var rate = CustomerRate(report, customers, sync, settings);
        if (rate <= 0)
        {
            return customers;
        }

        if (left <= 0)
        {
            return 0;
        }

        if (age <= TimeSpan.Zero)
        {
            return customers;
        }

        return rate * age.TotalSeconds >= left ? 0 : customers;
    }

    /// <summary>What <paramref name="customers"/> transfers send together per second at their fair share of the link, n/(n+sync) of it; 0 when no capacity is known.</summary>
    private static double CustomerRate(LoadReport report, int customers, double sync, SelectionOptions settings)
    {
        var capacity = CapacityOf(report, settings);
        return capacity > 0 ? (double)capacity * customers / (customers + sync) : 0;
    }

    private static long CapacityOf(LoadReport report, SelectionOptions settings) =>
        report.CapacityBytesPerSecond > 0 ? report.CapacityBytesPerSecond : settings.AssumedCapacityBytesPerSecond;

    /// <summary>
    /// BitTorrent's share of the link in customer-transfer units: the upload connections it reports (<c>x_peers</c>,
    /// at most <see cref="SelectionOptions.SyncLoadWeight"/>), each a whole flow when it gets its equal share of the
    /// link and less when it uploads less than that. Not the rate alone: customers sharing the link push the sync
    /// rate down exactly when the sync load matters, while the sync flows still take their equal shares. Not the
    /// connections alone: a seeding volunteer's peers that want little take little (seen in the real run).
    /// </summary>
    private static double SyncLoad(LoadReport report, SelectionOptions settings)
    {
        if (report.UploadBytesPerSecond <= 0)
        {
            return 0;
        }

        var capacity = CapacityOf(report, settings);
        if (report.Peers > 0)
        {
            var connections = Math.Min(report.Peers, settings.SyncLoadWeight);
            if (capacity <= 0)
            {
                return connections;
            }

            // With n customers and k sync flows sharing the link equally, the sync flows together send k/(n+k) of it.
            var shares = (double)report.UploadBytesPerSecond * (report.ActiveTransfers + connections) / capacity;
            return Math.Min(connections, shares);
        }

        return capacity > 0 ? Math.Min(1.0, (double)report.UploadBytesPerSecond / capacity) * settings.SyncLoadWeight : 0;
    }

    /// <summary>
    /// What this gateway added since <paramref name="reportedAt"/>: redirects still expected to run, and proxied transfers
    /// in flight that began after the report (the volunteer counts the older ones in its report's <c>x_http</c>; counting
    /// them here too made every proxied transfer two). Without a report (<see cref="DateTimeOffset.MinValue"/>), every transfer in flight.
    /// </summary>
    public double LocalLoad(string volunteerId, DateTimeOffset reportedAt) =>
        ledger.RedirectsSince(volunteerId, LocalSince(reportedAt)) + ledger.InFlightSince(volunteerId, reportedAt);

    /// <summary>
    /// The bytes the volunteer's customer transfers are still expected to send: what its last fresh report had left
    /// (<c>x_http_left</c>, 0 when not reported) less what the customers' share of the link could have sent since,
    /// plus what this gateway's redirects since then still have to send. The load is a count of transfers, so equal
    /// loads are common; of two equally loaded volunteers a new transfer ends sooner where the others have less left.
    /// </summary>
    public double BytesLeft(string volunteerId, DateTimeOffset reportedAt)
    {
        var settings = options.CurrentValue;
        var now = time.GetUtcNow();
        var reported = 0.0;
        if (view.TryGetLoad(volunteerId, out var report) && now - report.ReportedAt <= settings.FeedbackMaxAge
            && report.CustomerBytesLeft is { } left && left > 0)
        {
            var rate = CustomerRate(report, Math.Max(1, report.ActiveTransfers), SyncLoad(report, settings), settings);
            var age = Math.Max(0, (now - report.ReportedAt).TotalSeconds);
            reported = Math.Max(0, left - rate * age);
        }

        return reported + ledger.BytesLeftSince(volunteerId, LocalSince(reportedAt));
    }

    // Own dispatches count from the report on (the report includes the older ones), and never longer than the memory.
    private DateTimeOffset LocalSince(DateTimeOffset reportedAt)
    {
        var floor = time.GetUtcNow() - options.CurrentValue.DispatchMemory;
        return reportedAt > floor ? reportedAt : floor;
    }

    /// <summary>
    /// How long a redirect of <paramref name="bytes"/> is expected to keep the volunteer busy: the size at an equal
    /// share of its capacity with the load estimated now (one more flow: this one). Without a known capacity,
    /// the dispatch memory (the redirect then counts until the next report).
    /// </summary>
    public TimeSpan ExpectedTransfer(string volunteerId, long bytes)
    {
        var settings = options.CurrentValue;
        long capacity = settings.AssumedCapacityBytesPerSecond;
        if (view.TryGetLoad(volunteerId, out var report) && report.CapacityBytesPerSecond > 0)
        {
            capacity = report.CapacityBytesPerSecond;
        }

        if (capacity <= 0)
        {
            return settings.DispatchMemory;
        }

        var reported = ReportedLoad(volunteerId, out var at) ?? 0;
        var flows = reported + LocalLoad(volunteerId, at) + 1;
        var seconds = Math.Max(0, bytes) * flows / capacity;
        var expected = TimeSpan.FromSeconds(Math.Min(seconds, settings.DispatchMemory.TotalSeconds));
        return expected < settings.ShortestRedirect ? settings.ShortestRedirect : expected;
    }

    /// <summary>
    /// Compares two candidates; negative when <paramref name="a"/> is less loaded per unit of weight.
    /// A candidate without fresh feedback is assumed as loaded as the other one reports, so the
    /// comparison falls back to what this gateway saw itself instead of preferring the silent one.
    /// </summary>
    public int Compare(string a, int weightA, string b, int weightB)
    {
        var reportedA = ReportedLoad(a, out var atA);
        var reportedB = ReportedLoad(b, out var atB);
        var baseA = reportedA ?? reportedB ?? 0;
        var baseB = reportedB ?? reportedA ?? 0;
        var loadA = (baseA + LocalLoad(a, atA)) / Math.Max(1, weightA);
        var loadB = (baseB + LocalLoad(b, atB)) / Math.Max(1, weightB);
        return loadA.CompareTo(loadB);
    }
}
