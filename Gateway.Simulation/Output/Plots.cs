using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;
using ScottPlot;

namespace Gateway.Simulation.Output;

/// <summary>The paper's figures, redrawn from the runs: response-time CDFs (Fig. 17), mean vs load (Fig. 16), network use (Fig. 18).</summary>
internal static class Plots
{
    private const int Width = 900;
    private const int Height = 540;

    public static void ResponseTimeCdf(IEnumerable<RunResult> runs, string title, string path)
    {
        var plot = new Plot();
        foreach (var run in runs)
        {
            var sorted = run.Sorted();
            var step = Math.Max(1, sorted.Length / 2000);
            var xs = new List<double>();
            var ys = new List<double>();
            for (var i = 0; i < sorted.Length; i += step)
            {
                xs.Add(sorted[i]);
                ys.Add((i + 1.0) / sorted.Length);
            }

            xs.Add(sorted[^1]);
            ys.Add(1);
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.LegendText = run.Policy.Label();
            line.LineWidth = 2;
        }

        Save(plot, title, "response time (s)", "share of requests completed", Alignment.LowerRight, path);
    }

    public static void MeanVsLoad(IEnumerable<RunResult> runs, string title, string path)
    {
        var plot = new Plot();
        foreach (var group in runs.GroupBy(r => r.Policy))
        {
            var points = group.OrderBy(r => r.Scenario.Load).ToArray();
            var line = plot.Add.Scatter(points.Select(r => r.Scenario.Load * 100).ToArray(), points.Select(r => r.Mean).ToArray());
            line.LegendText = group.Key.Label();
            line.LineWidth = 2;
            line.MarkerSize = 8;
        }

        Save(plot, title, "customer load (% of aggregate volunteer capacity)", "mean response time (s)", Alignment.UpperLeft, path);
    }

    /// <summary>Each volunteer's network use (customer plus sync bytes per online second) over the mean, per policy.</summary>
    public static void NetworkUse(IEnumerable<RunResult> runs, string title, string path)
    {
        var plot = new Plot();
        foreach (var run in runs)
        {
            var uses = run.Volunteers.Select(v => v.BytesPerSecond).ToArray();
            var mean = uses.Where(u => u > 0).DefaultIfEmpty(1).Average();
            var normalized = run.Scenario.Volunteers <= 64 ? uses.Select(u => u / mean).ToArray() : [.. uses.Select(u => u / mean).Order()];
            var line = plot.Add.Scatter(Enumerable.Range(0, normalized.Length).Select(i => (double)i).ToArray(), normalized);
            line.LegendText = run.Policy.Label();
            line.LineWidth = run.Scenario.Volunteers <= 64 ? 1 : 2;
            line.MarkerSize = run.Scenario.Volunteers <= 64 ? 8 : 0;
        }

        var x = runs.FirstOrDefault()?.Scenario.Volunteers <= 64 ? "volunteer (odd ones synchronize)" : "volunteers, sorted by use";
        Save(plot, title, x, "network use / mean", Alignment.UpperRight, path);
    }

    /// <summary>Titles, labels, legend and the PNG at the size every figure of the page shares.</summary>
    public static void Save(Plot plot, string title, string x, string y, Alignment legend, string path)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        plot.ShowLegend(legend);
        plot.SavePng(path, Width, Height);
    }
}
