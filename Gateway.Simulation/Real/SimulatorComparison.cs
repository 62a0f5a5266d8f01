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
        text.AppendLine("| cell | policy | real mean s | sim mean s | real p50 s | sim p50 s | real p99 s | sim p99 s | p99 real/sim |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        var agreements = new List<string>();
        foreach (var cell in runs.Select(r => r.Cell).Distinct())
        {
            var real = runs.Where(r => r.Cell == cell).Select(r => r.Result).ToList();
            var scenario = real[0].Scenario;
            var workload = Workload.With(scenario, arrivals[cell]);
            var simulated = real.Select(r => new Simulator(scenario, r.Policy, workload).Run()).ToList();
            var name = string.Create(CultureInfo.InvariantCulture, $"{cell.Sizes} {cell.Mode} {cell.Load:P0}");
            for (var i = 0; i < real.Count; i++)
            {
                var (r, s) = (real[i], simulated[i]);
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {name} | {r.Policy.Label()} | {r.Mean:F2} | {s.Mean:F2} | {r.Percentile(50):F2} | {s.Percentile(50):F2} | {r.Percentile(99):F2} | {s.Percentile(99):F2} | {r.Percentile(99) / s.Percentile(99):F2} |");
            }

            var realOrder = string.Join(" < ", real.OrderBy(r => r.Percentile(99)).Select(r => r.Policy.Label()));
            var simOrder = string.Join(" < ", simulated.OrderBy(r => r.Percentile(99)).Select(r => r.Policy.Label()));
            agreements.Add($"- {name}: p99 ranking real: {realOrder}; simulated: {simOrder}{(realOrder == simOrder ? " (same)" : " (differs)")}");
        }

        text.AppendLine();
        foreach (var line in agreements)
        {
            text.AppendLine(line);
        }

        return text.ToString();
    }

    /// <summary>The simulator's requests for a real schedule: the same submission times and file sizes.</summary>
    public static IReadOnlyList<Request> Requests(IEnumerable<Harness.Arrival> schedule, IReadOnlyDictionary<string, long> sizes) =>
        [.. schedule.Select(a => new Request(a.At, sizes[a.Path], Hot: false))];
}
