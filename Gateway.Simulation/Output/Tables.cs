using System.Globalization;
using System.Text;
using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;

namespace Gateway.Simulation.Output;

/// <summary>The runs as Markdown tables: response times per policy and load, and per-volunteer network use.</summary>
internal static class Tables
{
    public static string ResponseTimes(IEnumerable<RunResult> runs)
    {
        var text = new StringBuilder();
        text.AppendLine("| load | policy | mean s | p50 s | p95 s | p99 s | max s | net use spread | offload | retries | wall s |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in runs)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Scenario.Load:P0} | {r.Policy.Label()} | {r.Mean:F1} | {r.Percentile(50):F1} | {r.Percentile(95):F1} | {r.Percentile(99):F1} | {r.Max:F1} | ±{r.NetworkUseSpread:P0} | {r.Offload:P2} | {r.Retries} | {r.Elapsed.TotalSeconds:F1} |");
        }

        return text.ToString();
    }

    /// <summary>Per volunteer (the first <paramref name="limit"/>): bytes served, sync bytes, utilization.</summary>
    public static string VolunteerUse(IEnumerable<RunResult> runs, int limit = 8)
    {
        var text = new StringBuilder();
        text.AppendLine("| policy | volunteer | syncing | requests | customer MB | sync MB | utilization |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|");
        foreach (var r in runs)
        {
            foreach (var v in r.Volunteers.Take(limit))
            {
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r.Policy.Label()} | {v.Id} | {(v.Syncing ? "yes" : "no")} | {v.Served} | {v.CustomerBytes / 1e6:F0} | {v.SyncBytes / 1e6:F0} | {v.Utilization:P0} |");
            }
        }

        return text.ToString();
    }

    /// <summary>The goals of issue 8 for one load, from the runs that include feedback, byrequests and the oracle.</summary>
    public static string Goals(IReadOnlyList<RunResult> runs)
    {
        var feedback = runs.FirstOrDefault(r => r.Policy == PolicyKind.Feedback);
        var byRequests = runs.FirstOrDefault(r => r.Policy == PolicyKind.ByRequests);
        // The simulator's oracle, or in the real run the byte-counter policy (a comparison, not a bound).
        var oracle = runs.FirstOrDefault(r => r.Policy is PolicyKind.Oracle or PolicyKind.ByteCounter);
        if (feedback is null)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        var p99 = feedback.Percentile(99);
        if (byRequests is not null)
        {
            var ratio = p99 / byRequests.Percentile(99);
            text.AppendLine(CultureInfo.InvariantCulture, $"- feedback p99 / byrequests p99 = {p99:F1} / {byRequests.Percentile(99):F1} = {ratio:F2} (goal ≤ 0.5: {(ratio <= 0.5 ? "met" : "missed")})");
        }

        if (oracle is not null)
        {
            var ratio = p99 / oracle.Percentile(99);
            text.AppendLine(CultureInfo.InvariantCulture, $"- feedback p99 / {oracle.Policy.Label()} p99 = {p99:F1} / {oracle.Percentile(99):F1} = {ratio:F2} (goal ≤ 1.2: {(ratio <= 1.2 ? "met" : "missed")})");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"- feedback per-volunteer network use within ±{feedback.NetworkUseSpread:P0} of the mean (goal ±15%: {(feedback.NetworkUseSpread <= 0.15 ? "met" : "missed")})");
        if (feedback.Scenario.FlashCrowd)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- feedback origin offload {feedback.Offload:P2} (goal ≥ 95% in the flash crowd at 10,000: {(feedback.Offload >= 0.95 ? "met" : "missed")})");
        }
        return text.ToString();
    }
}
