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
                        [--seeds 1,2,3,4,5] [--raw] [--holdings full|partial] [--files 60000] [--zipf 1]
                        [--full-mirrors 0] [--partial-shares 0.01,0.05]
          --seeds: every policy and load for each seed; tables give the median and range over seeds, the goals verdicts
                   from those intervals (OUT/NAME-seeds.csv holds every run's numbers); plots as the paper's Figs. 16-18
                   with ranges and a log-log CCDF. --raw (with --seeds): OUT/NAME-requests-sSEED-LOAD.csv.gz per request.
          --holdings partial: volunteers are partial mirrors of a catalog of --files files with Zipf(--zipf) popularity,
                   --full-mirrors of them full mirrors, the others holding a log-uniform share in --partial-shares.
        """;

    public static int Run(string[] args, TextWriter output)
    {
        var options = Parse(args);
        if (options is null)
        {
            output.WriteLine(Usage);
            return 2;
        }

        var (scenario, loads, policies, outDir, name, sweep, diagnose, seeds, raw) = options.Value;
        Directory.CreateDirectory(outDir);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"## {name}: {scenario.Volunteers} volunteers, {scenario.Requests} requests, {scenario.Sizes} sizes, {scenario.Mode} mode, announce {scenario.AnnounceIntervalSeconds} s{(scenario.FlashCrowd ? ", flash crowd" : "")}{(scenario.Volatile ? ", volatile volunteers" : "")}{Holdings(scenario)}, {(options.Value.Seeds.Count > 0 ? $"seeds {string.Join(',', options.Value.Seeds)}" : $"seed {scenario.Seed}")}"));
        output.WriteLine();
        if (sweep.Count > 0)
        {
            return Sweep(scenario with { Load = loads[0] }, sweep, policies, output);
        }

        if (seeds.Count > 0)
        {
            return Seeds(scenario, loads, policies, seeds, outDir, name, raw, output);
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

    /// <summary>Every load and policy for each seed: intervals over seeds instead of one run's numbers.</summary>
    private static int Seeds(Scenario scenario, IReadOnlyList<double> loads, IReadOnlyList<PolicyKind> policies, IReadOnlyList<int> seeds, string outDir, string name, bool raw, TextWriter output)
    {
        var all = new List<RunResult>();
        foreach (var load in loads)
        {
            var atLoad = new List<RunResult>();
            var tag = string.Create(CultureInfo.InvariantCulture, $"{(int)(load * 100)}");
            foreach (var seed in seeds)
            {
                var at = scenario with { Load = load, Seed = seed };
                var workload = Workload.For(at);
                var runs = policies.Select(p => new Simulator(at, p, workload).Run()).ToList();
                if (raw)
                {
                    RequestCsv.Write(Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"{name}-requests-s{seed}-{tag}.csv.gz")), workload, runs);
                }

                atLoad.AddRange(runs);
            }

            all.AddRange(atLoad);
            SeedPlots.ResponseTimeCcdf(atLoad, $"{name}: response times at {load:P0} load, {seeds.Count} seeds pooled", Path.Combine(outDir, $"{name}-ccdf-{tag}.png"));
            if (scenario.Volunteers <= 64)
            {
                SeedPlots.NetworkUse(atLoad, $"{name}: network use at {load:P0} load", Path.Combine(outDir, $"{name}-network-{tag}.png"));
            }
        }

        output.WriteLine(Tables.SeedResponseTimes(all));
        output.WriteLine(Tables.SeedGoals(all));
        Tables.WriteSeedCsv(Path.Combine(outDir, $"{name}-seeds.csv"), all);
        if (loads.Count > 1)
        {
            SeedPlots.MeanVsLoad(all, $"{name}: mean response time, {seeds.Count} seeds", Path.Combine(outDir, $"{name}-mean-vs-load.png"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"simulated in {all.Sum(r => r.Elapsed.TotalSeconds):F0} s; plots in {outDir}/{name}-*.png"));
        return 0;
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

    private static (Scenario Scenario, IReadOnlyList<double> Loads, IReadOnlyList<PolicyKind> Policies, string Out, string Name, IReadOnlyList<double> Sweep, bool Diagnose, IReadOnlyList<int> Seeds, bool Raw)? Parse(string[] args)
    {
        var scenario = new Scenario();
        IReadOnlyList<double> loads = [0.2, 0.5, 1.0];
        IReadOnlyList<PolicyKind> policies = PolicyKinds.Standard;
        IReadOnlyList<double> sweep = [];
        var outDir = "simulation-out";
        var name = "run";
        var diagnose = false;
        IReadOnlyList<int> seeds = [];
        var raw = false;
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
                case "--seeds": seeds = [.. Numbers(Next()).Select(s => (int)s)]; break;
                case "--raw": raw = true; break;
                case "--holdings": scenario = scenario with { Holdings = Enum.Parse<HoldingModel>(Next(), ignoreCase: true) }; break;
                case "--files": scenario = scenario with { CatalogFiles = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--zipf": scenario = scenario with { PopularityExponent = double.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--full-mirrors": scenario = scenario with { FullMirrorShare = double.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--partial-shares":
                    var shares = Numbers(Next());
                    scenario = shares.Length == 2 ? scenario with { PartialShareLow = shares[0], PartialShareHigh = shares[1] } : throw new ArgumentException("--partial-shares needs LOW,HIGH");
                    break;
                default: return null;
            }
        }

        return (scenario, loads, policies, outDir, name, sweep, diagnose, seeds, raw);
    }

    private static string Holdings(Scenario s) => s.Holdings == HoldingModel.Full ? ""
        : string.Create(CultureInfo.InvariantCulture, $", partial mirrors of {s.CatalogFiles} files (Zipf {s.PopularityExponent}, {s.FullMirrorShare:P0} full mirrors, the rest holding {s.PartialShareLow:P0}–{s.PartialShareHigh:P0})");

    private static double[] Numbers(string text) => [.. text.Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture))];
}
