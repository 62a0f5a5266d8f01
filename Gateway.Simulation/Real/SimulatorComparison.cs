using System.Globalization;
using System.Text;
using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;

namespace Gateway.Simulation.Real;

/// <summary>
/// The simulator run on exactly the real run's arrivals (same times, same file sizes), volunteer count, capacity,
/// syncing half and announce interval, with every policy the real run used, side by side with what was measured.
/// </summary>
internal static class SimulatorComparison
{
    public static string Compare(RealOptions options, IReadOnlyList<RealRun> runs, IReadOnlyDictionary<RealCell, IReadOnlyList<Request>> arrivals)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(arrivals);
        var text = new StringBuilder();
        text.AppendLine("Simulated twice: with the model's sync (4 flows on each syncing volunteer that always take their equal shares) and with");
        text.AppendLine("the sync each volunteer was measured to upload in that policy's real run (its non-customer bytes over the run, as a demand).");
        text.AppendLine();
        text.AppendLine("| cell | policy | real mean s | sim mean s (4 flows) | sim mean s (measured sync) | real p99 s | sim p99 s (4 flows) | sim p99 s (measured sync) |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        var agreements = new List<string>();
        foreach (var cell in runs.Select(r => r.Cell).Distinct())
        {
            var real = runs.Where(r => r.Cell == cell).Select(r => r.Result).ToList();
            var scenario = real[0].Scenario;
            var workload = Workload.With(scenario, arrivals[cell]);
            var flows = real.Select(r => new Simulator(scenario, r.Policy, workload).Run()).ToList();
            var measured = real.Select(r =>
            {
                var demand = scenario with { SyncDemand = MeasuredSyncDemand(r) };
                return new Simulator(demand, r.Policy, Workload.With(demand, arrivals[cell])).Run();
            }).ToList();
            var name = string.Create(CultureInfo.InvariantCulture, $"{cell.Sizes} {cell.Mode} {cell.Load:P0}");
            for (var i = 0; i < real.Count; i++)
            {
                var (r, f, m) = (real[i], flows[i], measured[i]);
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {name} | {r.Policy.Label()} | {r.Mean:F2} | {f.Mean:F2} | {m.Mean:F2} | {r.Percentile(99):F2} | {f.Percentile(99):F2} | {m.Percentile(99):F2} |");
            }

            agreements.Add($"- {name}: {Agreement(real, flows, "4 flows")}; {Agreement(real, measured, "measured sync")}");
        }

        text.AppendLine();
        text.AppendLine("Tolerance (set before looking): the same ranking of policies by mean, and simulated means within ±50% of the real ones.");
        text.AppendLine();
        foreach (var line in agreements)
        {
            text.AppendLine(line);
        }

        return text.ToString();
    }

    /// <summary>Per volunteer, what its link carried besides its customers' bodies, per second of the run: the sync demand it met.</summary>
    public static IReadOnlyList<double> MeasuredSyncDemand(RunResult real)
    {
        ArgumentNullException.ThrowIfNull(real);
        return [.. real.Volunteers.Select(v => v.Syncing && v.OnlineSeconds > 0 ? v.SyncBytes / v.OnlineSeconds : 0)];
    }

    /// <summary>"ranking by mean same (…); 3/3 means within ±50%" for one cell and one sync model.</summary>
    public static string Agreement(IReadOnlyList<RunResult> real, IReadOnlyList<RunResult> simulated, string model)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(simulated);
        var realOrder = string.Join(" < ", real.OrderBy(r => r.Mean).Select(r => r.Policy.Label()));
        var simOrder = string.Join(" < ", simulated.OrderBy(r => r.Mean).Select(r => r.Policy.Label()));
        var within = real.Zip(simulated).Count(p => Math.Abs(p.Second.Mean - p.First.Mean) <= 0.5 * p.First.Mean);
        return realOrder == simOrder
            ? $"{model}: same ranking by mean ({realOrder}), {within}/{real.Count} means within ±50%"
            : $"{model}: ranking by mean differs (real {realOrder}; simulated {simOrder}), {within}/{real.Count} means within ±50%";
    }

    /// <summary>
    /// The simulator's side alone, for every cell of <paramref name="options"/> (the schedules are a function of
    /// the seed): to compare with a real run's log without running it again (<c>real --simulate-only</c>).
    /// </summary>
    public static string SimulateOnly(RealOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var text = new StringBuilder();
        text.AppendLine("| cell | policy | sim mean s | sim p50 s | sim p95 s | sim p99 s | sim max s |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var cell in options.Cells())
        {
            var set = cell.Sizes == SizeModel.Equal ? ExperimentFiles.EqualSet(options.EqualSizeBytes) : ExperimentFiles.TraceSet(options.LargestBytes);
            var (_, schedule) = RealExperiment.Customers(options, cell, set, new Uri("http://127.0.0.1/"));
            var requests = Requests(schedule, set.ToDictionary(f => f.Path, f => f.Size, StringComparer.Ordinal), 3 * options.AnnounceSeconds);
            var scenario = options.ScenarioFor(cell, requests.Count);
            var workload = Workload.With(scenario, requests);
            foreach (var policy in options.Policies)
            {
                var r = new Simulator(scenario, policy, workload).Run();
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {cell.Sizes} {cell.Mode} {cell.Load:P0} | {policy.Label()} | {r.Mean:F2} | {r.Percentile(50):F2} | {r.Percentile(95):F2} | {r.Percentile(99):F2} | {r.Max:F2} |");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// The simulator's requests for a real schedule: the same gaps and file sizes, shifted by <paramref name="warmUp"/>
    /// seconds so the simulated gateway has every volunteer's report before the first customer, as the real
    /// one has (it ran before). Response times are from each request's own submission, so the shift does not count.
    /// </summary>
    public static IReadOnlyList<Request> Requests(IEnumerable<Harness.Arrival> schedule, IReadOnlyDictionary<string, long> sizes, double warmUp) =>
        [.. schedule.Select(a => new Request(warmUp + a.At, sizes[a.Path], Hot: false))];
}
