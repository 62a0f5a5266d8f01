using System.Globalization;
using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;

namespace Gateway.Simulation.Output;

/// <summary>
/// <c>simulate</c>: runs every chosen policy at every chosen load (same seed, same arrivals), prints the
/// tables and writes the plots. <c>--announce-sweep</c> instead runs the feedback policy at one load
/// with each announce interval.
/// </summary>
internal static class SimulateCommand
{
    public const string Usage = """
        usage: simulate [--volunteers 8] [--requests 2000] [--loads 0.2,0.5,1] [--sizes equal|trace]
                        [--mode redirect|proxy] [--announce 30] [--flash] [--volatile] [--seed 1]
                        [--policies byrequests,bybusyness,yarp-p2c,feedback,oracle,feedback-d2,feedback-d4] [--out DIR] [--name NAME]
                        [--announce-sweep 5,15,30,60,120,300] [--picks-csv]
        """;

    public static int Run(string[] args, TextWriter output)
    {
        var options = Parse(args);
        if (options is null)
        {
            output.WriteLine(Usage);
            return 2;
        }

        var (scenario, loads, policies, outDir, name, sweep, diagnose) = options.Value;
        Directory.CreateDirectory(outDir);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"## {name}: {scenario.Volunteers} volunteers, {scenario.Requests} requests, {scenario.Sizes} sizes, {scenario.Mode} mode, announce {scenario.AnnounceIntervalSeconds} s{(scenario.FlashCrowd ? ", flash crowd" : "")}{(scenario.Volatile ? ", volatile volunteers" : "")}, seed {scenario.Seed}"));
        output.WriteLine();
        if (sweep.Count > 0)
        {
            return Sweep(scenario with { Load = loads[0] }, sweep, policies, output);
        }

        var all = new List<RunResult>();
        foreach (var load in loads)
        {
            var atLoad = scenario with { Load = load };
            var workload = Workload.For(atLoad);
            var runs = policies.Select(p => Run(atLoad, p, workload, diagnose ? Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"{name}-picks-{p.Label()}-{(int)(load * 100)}.csv")) : null)).ToList();
            all.AddRange(runs);
            output.WriteLine(Tables.ResponseTimes(runs));
            output.WriteLine(Tables.Goals(runs));
            var tag = string.Create(CultureInfo.InvariantCulture, $"{(int)(load * 100)}");
            Plots.ResponseTimeCdf(runs, $"{name}: response time CDF at {load:P0} load", Path.Combine(outDir, $"{name}-cdf-{tag}.png"));
            Plots.NetworkUse(runs, $"{name}: network use at {load:P0} load", Path.Combine(outDir, $"{name}-network-{tag}.png"));
            if (load == loads[^1])
            {
                output.WriteLine(Tables.VolunteerUse(runs));
            }
        }

        if (loads.Count > 1)
        {
            Plots.MeanVsLoad(all, $"{name}: mean response time", Path.Combine(outDir, $"{name}-mean-vs-load.png"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"plots in {outDir}/{name}-*.png"));
        return 0;
    }

    /// <summary>One run; with <paramref name="picksCsv"/> it also writes every request's picks there.</summary>
    private static RunResult Run(Scenario scenario, PolicyKind policy, Workload workload, string? picksCsv)
    {
        var records = picksCsv is null ? null : new PickRecords(workload.Requests.Count);
        var result = new Simulator(scenario, policy, workload) { Records = records }.Run();
        records?.Write(picksCsv!, workload.Requests, result.ResponseSeconds, result.ServedBy);
        return result;
    }

    private static int Sweep(Scenario scenario, IReadOnlyList<double> intervals, IReadOnlyList<PolicyKind> policies, TextWriter output)
    {
        output.WriteLine("| announce s | policy | mean s | p50 s | p95 s | p99 s | max s | net use spread |");
        output.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var interval in intervals)
        {
            var at = scenario with { AnnounceIntervalSeconds = interval };
            var workload = Workload.For(at);
            foreach (var policy in policies)
            {
                var r = new Simulator(at, policy, workload).Run();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {interval} | {policy.Label()} | {r.Mean:F1} | {r.Percentile(50):F1} | {r.Percentile(95):F1} | {r.Percentile(99):F1} | {r.Max:F1} | ±{r.NetworkUseSpread:P0} |"));
            }
        }

        return 0;
    }

    private static (Scenario Scenario, IReadOnlyList<double> Loads, IReadOnlyList<PolicyKind> Policies, string Out, string Name, IReadOnlyList<double> Sweep, bool Diagnose)? Parse(string[] args)
    {
        var scenario = new Scenario();
        IReadOnlyList<double> loads = [0.2, 0.5, 1.0];
        IReadOnlyList<PolicyKind> policies = PolicyKinds.Standard;
        IReadOnlyList<double> sweep = [];
        var outDir = "simulation-out";
        var name = "run";
        var diagnose = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--volunteers": scenario = scenario with { Volunteers = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--requests": scenario = scenario with { Requests = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--loads": loads = Numbers(Next()); break;
                case "--sizes": scenario = scenario with { Sizes = Enum.Parse<SizeModel>(Next(), ignoreCase: true) }; break;
                case "--mode": scenario = scenario with { Mode = Enum.Parse<GatewayMode>(Next(), ignoreCase: true) }; break;
                case "--announce": scenario = scenario with { AnnounceIntervalSeconds = double.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--flash": scenario = scenario with { FlashCrowd = true }; break;
                case "--volatile": scenario = scenario with { Volatile = true }; break;
                case "--seed": scenario = scenario with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--policies": policies = [.. Next().Split(',').Select(PolicyKinds.Parse)]; break;
                case "--out": outDir = Next(); break;
                case "--name": name = Next(); break;
                case "--announce-sweep": sweep = Numbers(Next()); break;
                case "--picks-csv": diagnose = true; break;
                default: return null;
            }
        }

        return (scenario, loads, policies, outDir, name, sweep, diagnose);
    }

    private static double[] Numbers(string text) => [.. text.Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture))];
}
