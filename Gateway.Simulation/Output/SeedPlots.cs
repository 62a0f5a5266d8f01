using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Gateway.Simulation.Output;

/// <summary>
/// The paper's Figs. 16–18 from several seeds: mean vs load and network use per volunteer as the median over seeds with
/// the range as a bar, and the response-time distribution as a CCDF on log–log axes (pooled over seeds) so the tails show.
/// </summary>
internal static class SeedPlots
{
    /// <summary>Fig. 16: mean response time against load, per policy.</summary>
    public static void MeanVsLoad(IReadOnlyList<RunResult> runs, string title, string path)
    {
        var plot = new Plot();
        var policies = runs.Select(r => r.Policy).Distinct().ToList();
        foreach (var (policy, index) in policies.Select((p, i) => (p, i)))
        {
            var cells = runs.Where(r => r.Policy == policy).GroupBy(r => r.Scenario.Load).OrderBy(g => g.Key)
                .Select(g => (X: (g.Key * 100) + Offset(index, policies.Count, 2.0), Interval: SeedInterval.Of(g.Select(r => r.Mean)))).ToList();
            Series(plot, policy.Label(), cells, lines: true);
        }

        Plots.Save(plot, title, "customer load (% of aggregate volunteer capacity)", "mean response time (s), median and range over seeds", Alignment.UpperLeft, path);
    }

    /// <summary>Fig. 18: each volunteer's network use (customer and sync bytes per online second) over the mean, per policy.</summary>
    public static void NetworkUse(IReadOnlyList<RunResult> runs, string title, string path)
    {
        var plot = new Plot();
        var policies = runs.Select(r => r.Policy).Distinct().ToList();
        foreach (var (policy, index) in policies.Select((p, i) => (p, i)))
        {
            var ofPolicy = runs.Where(r => r.Policy == policy).ToList();
            var normalized = ofPolicy.Select(r =>
            {
                var uses = r.Volunteers.Select(v => v.BytesPerSecond).ToArray();
                var mean = uses.Where(u => u > 0).DefaultIfEmpty(1).Average();
                return uses.Select(u => u / mean).ToArray();
            }).ToList();
            var cells = Enumerable.Range(0, normalized[0].Length)
                .Select(v => (X: v + Offset(index, policies.Count, 0.5), Interval: SeedInterval.Of(normalized.Select(n => n[v])))).ToList();
            Series(plot, policy.Label(), cells, lines: false);
        }

        Plots.Save(plot, title, "volunteer (odd ones synchronize)", "network use / mean, median and range over seeds", Alignment.UpperRight, path);
    }

    /// <summary>Fig. 17: share of requests slower than t, log–log, all seeds' requests pooled per policy.</summary>
    public static void ResponseTimeCcdf(IReadOnlyList<RunResult> runs, string title, string path) =>
        ResponseTimeCcdf([.. runs.GroupBy(r => r.Policy).Select(g => (g.Key.Label(), g.SelectMany(r => r.ResponseSeconds).ToArray()))], title, path);

    /// <summary>Fig. 17 for any labelled sets of response times (a real run's records too).</summary>
    public static void ResponseTimeCcdf(IReadOnlyList<(string Label, double[] Seconds)> series, string title, string path)
    {
        var plot = new Plot();
        foreach (var (label, seconds) in series)
        {
            var sorted = seconds.Order().ToArray();
            var xs = new List<double>();
            var ys = new List<double>();
            var step = Math.Max(1, sorted.Length / 2000);
            for (var i = 0; i < sorted.Length; i++)
            {
                // Every point of the last 500 (the tail), every step-th before.
                if (i % step == 0 || i >= sorted.Length - 500)
                {
                    xs.Add(Math.Log10(Math.Max(sorted[i], 1e-3)));
                    ys.Add(Math.Log10((sorted.Length - i) / (double)sorted.Length));
                }
            }

            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.LegendText = label;
            line.LineWidth = 2;
        }

        plot.Axes.Bottom.TickGenerator = LogTicks(integerOnly: false);
        plot.Axes.Left.TickGenerator = LogTicks(integerOnly: true);
        Plots.Save(plot, title, "response time t (s, log)", "share of requests taking ≥ t (log)", Alignment.LowerLeft, path);
    }

    private static NumericAutomatic LogTicks(bool integerOnly) => new()
    {
        MinorTickGenerator = integerOnly ? new LogMinorTickGenerator() : new EvenlySpacedMinorTickGenerator(1),
        IntegerTicksOnly = integerOnly,
        LabelFormatter = y => Math.Pow(10, y).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
    };

    // Policies side by side at one x so their ranges do not hide each other.
    private static double Offset(int index, int count, double width) => count <= 1 ? 0 : ((index / (double)(count - 1)) - 0.5) * width;

    private static void Series(Plot plot, string label, IReadOnlyList<(double X, SeedInterval Interval)> cells, bool lines)
    {
        var scatter = plot.Add.Scatter(cells.Select(c => c.X).ToArray(), cells.Select(c => c.Interval.Median).ToArray());
        scatter.LegendText = label;
        scatter.LineWidth = lines ? 2 : 0;
        scatter.MarkerSize = 8;
        foreach (var (x, interval) in cells)
        {
            var bar = plot.Add.Line(x, interval.Low, x, interval.High);
            bar.Color = scatter.Color;
            bar.LineWidth = 2;
        }
    }
}
