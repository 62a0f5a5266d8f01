using System.Globalization;
using Gateway.Simulation.Model;
using Gateway.Simulation.Output;

namespace Gateway.Simulation.Real;

/// <summary><c>real</c>: runs the real-process experiment, prints its tables and writes its plots.</summary>
internal static class RealCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = RealOptions.Parse(args);
        if (options is null)
        {
            await output.WriteLineAsync(RealOptions.Usage).ConfigureAwait(false);
            return 2;
        }

        if (options.SimulateOnly)
        {
            await output.WriteLineAsync(SimulatorComparison.SimulateOnly(options)).ConfigureAwait(false);
            return 0;
        }

        Directory.CreateDirectory(options.Out);
        var experiment = new RealExperiment(options, output);
        var runs = await experiment.RunAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(Report(options, runs)).ConfigureAwait(false);
        await output.WriteLineAsync("### The simulator on the same arrivals (validation)").ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync(SimulatorComparison.Compare(options, runs, experiment.Arrivals)).ConfigureAwait(false);
        return runs.All(r => r.Failed == 0 && r.WrongBytes == 0) ? 0 : 1;
    }

    public static string Report(RealOptions options, IReadOnlyList<RealRun> runs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runs);
        var text = new System.Text.StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"## {options.Name}: {options.Volunteers} agents in namespaces, {options.CapacityBytesPerSecond * 8 / 1e6:F0} Mbit/s upload each (tbf), half syncing, announce {options.AnnounceSeconds} s, {options.WindowSeconds} s of arrivals per run, seed {options.Seed}");
        text.AppendLine();
        foreach (var cell in runs.Select(r => r.Cell).Distinct())
        {
            var cellRuns = runs.Where(r => r.Cell == cell).ToList();
            var results = cellRuns.Select(r => r.Result).ToList();
            var tag = cell.Tag;
            text.AppendLine(CultureInfo.InvariantCulture, $"### {cell.Sizes} sizes, {cell.Mode} mode, {cell.Load:P0} load ({results[0].ResponseSeconds.Length} requests per policy)");
            text.AppendLine();
            text.AppendLine(Tables.ResponseTimes(results).Replace("| retries |", "| failed |", StringComparison.Ordinal));
            text.AppendLine(CultureInfo.InvariantCulture, $"wrong bytes: {cellRuns.Sum(r => r.WrongBytes)}");
            text.AppendLine();
            text.AppendLine(Tables.Goals(results));
            text.AppendLine(Tables.VolunteerUse(results));
            Plots.ResponseTimeCdf(results, $"{options.Name}: response time CDF, {cell.Sizes} {cell.Mode} {cell.Load:P0}", Path.Combine(options.Out, $"{options.Name}-cdf-{tag}.png"));
            Plots.NetworkUse(results, $"{options.Name}: network use, {cell.Sizes} {cell.Mode} {cell.Load:P0}", Path.Combine(options.Out, $"{options.Name}-network-{tag}.png"));
        }

        var sweep = runs.Where(r => r.Cell.Sizes == SizeModel.Trace && r.Cell.Mode == GatewayMode.Redirect).Select(r => r.Result).ToList();
        if (sweep.Select(r => r.Scenario.Load).Distinct().Count() > 1)
        {
            Plots.MeanVsLoad(sweep, $"{options.Name}: mean response time (trace, redirect)", Path.Combine(options.Out, $"{options.Name}-mean-vs-load.png"));
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"plots in {options.Out}/{options.Name}-*.png");
        return text.ToString();
    }
}
