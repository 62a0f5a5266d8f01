using Gateway.Feedback.Store;
using Microsoft.Extensions.Options;

namespace Gateway.Selection;

/// <summary>
/// A volunteer's estimated load: its last fresh report plus what this gateway dispatched since, divided by
/// its weight. Feedback arrives once per announce interval; adding our own dispatches is what stops every
/// request in that interval from herding onto the volunteer that looked idle at the last report.
/// </summary>
public sealed class LoadEstimator(SwarmView view, DispatchLedger ledger, IOptionsMonitor<SelectionOptions> options, TimeProvider time)
{
    /// <summary>The reported part of the load, or null when there is no fresh report (unknown, not zero).</summary>
    public double? ReportedLoad(string volunteerId, out DateTimeOffset reportedAt)
    {
        var settings = options.CurrentValue;
        if (view.TryGetLoad(volunteerId, out var report) && time.GetUtcNow() - report.ReportedAt <= settings.FeedbackMaxAge)
        {
            reportedAt = report.ReportedAt;
            var sync = report.CapacityBytesPerSecond > 0
                ? Math.Min(1.0, (double)(report.UploadBytesPerSecond + report.DownloadBytesPerSecond) / report.CapacityBytesPerSecond) * settings.SyncLoadWeight
                : 0;
            return report.ActiveTransfers + sync;
        }

        reportedAt = DateTimeOffset.MinValue;
        return null;
    }

    /// <summary>What this gateway added since <paramref name="reportedAt"/>: redirects within the dispatch memory and transfers in flight.</summary>
    public double LocalLoad(string volunteerId, DateTimeOffset reportedAt)
    {
        var floor = time.GetUtcNow() - options.CurrentValue.DispatchMemory;
        var since = reportedAt > floor ? reportedAt : floor;
        return ledger.RedirectsSince(volunteerId, since) + ledger.InFlight(volunteerId);
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
