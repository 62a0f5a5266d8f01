using System.Globalization;
using System.Text;
using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;

namespace Gateway.Simulation.Output;

/// <summary>
/// The runs as Markdown tables: response times per policy and load, and per-volunteer network use; for several seeds
/// the median and range over seeds of each measure, the goals with verdicts from those intervals, and a CSV row per
/// seed, load and policy (what those tables summarize).
/// </summary>
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

    public static string SeedResponseTimes(IReadOnlyList<RunResult> runs)
    {
        var text = new StringBuilder();
        text.AppendLine("| load | policy | mean s | p50 s | p99 s | max s | net use spread | offload |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var cell in runs.GroupBy(r => (r.Scenario.Load, r.Policy)))
        {
            var r = cell.ToList();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {cell.Key.Load:P0} | {cell.Key.Policy.Label()} | {Of(r, x => x.Mean).Format("F1")} | {Of(r, x => x.Percentile(50)).Format("F1")} | {Of(r, x => x.Percentile(99)).Format("F1")} | {Of(r, x => x.Max).Format("F1")} | {Of(r, x => x.NetworkUseSpread * 100).Format("F0")} % | {Of(r, x => x.Offload * 100).Format("F2")} % |");
        }

        return text.ToString();
    }

    /// <summary>
    /// Issue 8's goals per load, each a per-seed ratio (same seed, same arrivals for both policies) summarized over
    /// seeds. Rows need feedback, and byrequests or the oracle where the goal compares with them.
    /// </summary>
    public static string SeedGoals(IReadOnlyList<RunResult> runs)
    {
        var text = new StringBuilder();
        text.AppendLine("| load | goal | median [range] over seeds | verdict |");
        text.AppendLine("|---:|---|---:|---|");
        foreach (var atLoad in runs.GroupBy(r => r.Scenario.Load))
        {
            var bySeed = atLoad.GroupBy(r => r.Scenario.Seed).ToList();
            var load = atLoad.Key.ToString("P0", CultureInfo.InvariantCulture);
            void Ratio(string goal, PolicyKind other, Func<RunResult, double> measure, double bound)
            {
                var ratios = bySeed
                    .Select(s => (Feedback: s.FirstOrDefault(r => r.Policy == PolicyKind.Feedback), Other: s.FirstOrDefault(r => r.Policy == other)))
                    .Where(p => p.Feedback is not null && p.Other is not null)
                    .Select(p => measure(p.Feedback!) / measure(p.Other!))
                    .ToList();
                if (ratios.Count > 0)
                {
                    var interval = SeedInterval.Of(ratios);
                    text.AppendLine(CultureInfo.InvariantCulture, $"| {load} | {goal} | {interval.Format("F2")} | {interval.Verdict(bound, atMost: true)} |");
                }
            }

            Ratio("feedback mean ÷ byrequests mean < 1", PolicyKind.ByRequests, r => r.Mean, 1);
            Ratio("feedback p99 ÷ byrequests p99 ≤ 0.5", PolicyKind.ByRequests, r => r.Percentile(99), 0.5);
            Ratio("feedback p99 ÷ oracle p99 ≤ 1.2", PolicyKind.Oracle, r => r.Percentile(99), 1.2);
            var feedback = atLoad.Where(r => r.Policy == PolicyKind.Feedback).ToList();
            // Network use is the 8-volunteer goal (with churn a volunteer online for a minute sets the spread); offload
            // is a goal only where some requests can reach the origin (flash crowd, partial mirrors).
            if (feedback.Count > 0 && !feedback[0].Scenario.Volatile)
            {
                var spread = Of(feedback, r => r.NetworkUseSpread);
                text.AppendLine(CultureInfo.InvariantCulture, $"| {load} | feedback network use within ±15 % of the mean | ±{(spread with { Median = spread.Median * 100, Low = spread.Low * 100, High = spread.High * 100 }).Format("F0")} % | {spread.Verdict(0.15, atMost: true)} |");
            }

            if (feedback.Count > 0 && (feedback[0].Scenario.FlashCrowd || feedback[0].Scenario.Holdings == HoldingModel.Partial))
            {
                var offload = Of(feedback, r => r.Offload);
                text.AppendLine(CultureInfo.InvariantCulture, $"| {load} | feedback offload ≥ 95 % | {(offload with { Median = offload.Median * 100, Low = offload.Low * 100, High = offload.High * 100 }).Format("F2")} % | {offload.Verdict(0.95, atMost: false)} |");
            }
        }

        var seeds = runs.Select(r => r.Scenario.Seed).Distinct().Count();
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Intervals: median [lowest–highest] over {seeds} seeds (covers the median with {SeedInterval.ConfidenceFor(seeds):P0} confidence); met/missed only when the whole interval is on one side.");
        return text.ToString();
    }

    /// <summary>One row per seed, load and policy: the numbers behind every interval.</summary>
    public static void WriteSeedCsv(string path, IEnumerable<RunResult> runs)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("seed,load,policy,requests,mean_s,p50_s,p95_s,p99_s,max_s,net_use_spread,offload,retries");
        foreach (var r in runs)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Scenario.Seed},{r.Scenario.Load},{r.Policy.Label()},{r.ResponseSeconds.Length},{r.Mean:F4},{r.Percentile(50):F4},{r.Percentile(95):F4},{r.Percentile(99):F4},{r.Max:F4},{r.NetworkUseSpread:F4},{r.Offload:F6},{r.Retries}"));
        }
    }

    private static SeedInterval Of(IEnumerable<RunResult> runs, Func<RunResult, double> measure) => SeedInterval.Of(runs.Select(measure));
}
