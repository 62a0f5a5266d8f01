using System.Globalization;
using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;

namespace Gateway.Simulation.Real;

/// <summary>One cell of the real run: a size model, a gateway mode and a load, run with every policy on the same schedule.</summary>
internal readonly record struct RealCell(SizeModel Sizes, GatewayMode Mode, double Load)
{
    /// <summary>The cell in file names: <c>trace-redirect-100</c>.</summary>
    public string Tag => string.Create(CultureInfo.InvariantCulture, $"{Sizes.ToString().ToLowerInvariant()}-{Mode.ToString().ToLowerInvariant()}-{(int)(Load * 100)}");
}

/// <summary>The real-process experiment's settings (<c>real --help</c>).</summary>
internal sealed record RealOptions
{
    public const string Usage = """
        usage: real [--quick] [--volunteers 8] [--capacity-mbit 10] [--loads 0.2,0.5,1] [--window 12] [--announce 2]
                    [--policies byrequests,bybusyness,yarp-p2c,feedback,byte-counter] [--equal-mib 2] [--sync-share 1]
                    [--sync-upload-share 0] [--origin-share 1] [--no-extras] [--cells trace-redirect,trace-proxy,equal-redirect]
                    [--simulate-only] [--seed 1] [--out DIR] [--name real]
          cells: trace sizes in redirect mode at every load, plus (unless --no-extras) trace sizes in proxy mode
                 and equal sizes in redirect mode at the highest load. --quick: 100% load, 6 s windows, redirect+proxy.
                 --cells: exactly these size-mode cells, each at every load (e.g. a long run of only the goal cells:
                 --loads 1 --window 60 --cells trace-redirect,equal-redirect --policies byrequests,feedback,byte-counter).
          every run's requests (time, file, size, chosen volunteer, response time, the gateway's estimate and the
          kernel's flow count per volunteer at the pick) go to OUT/NAME-requests-CELL.csv.
        """;

    public int Volunteers { get; init; } = 8;

    public double CapacityBytesPerSecond { get; init; } = 10_000_000 / 8.0;

    public IReadOnlyList<double> Loads { get; init; } = [0.2, 0.5, 1.0];

    /// <summary>Seconds of arrivals per run (then the run drains).</summary>
    public double WindowSeconds { get; init; } = 12;

    public int AnnounceSeconds { get; init; } = 2;

    public IReadOnlyList<PolicyKind> Policies { get; init; } = PolicyKinds.Real;

    public long EqualSizeBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>Largest customer file (the scaled trace goes to 16 MiB; tests cap it).</summary>
    public long LargestBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>What each syncing volunteer must download, as a share of its upload capacity (new batches are published at this rate).</summary>
    public double SyncShare { get; init; } = 1.0;

    /// <summary>
    /// 0 (the default): BitTorrent uploads as fast as its connections get. Otherwise the syncing agents' BitTorrent upload
    /// limit as a share of the link (each also reports the whole link as its uplink), which makes sync a steadier
    /// share of the link from run to run (docs/evaluation.md, finding 6).
    /// </summary>
    public double SyncUploadShare { get; init; }

    /// <summary>
    /// The origin's uplink as a share of one volunteer's capacity: most sync bytes must come from peers. It carries the
    /// manifest polls too (8 agents × ~60 KB every 2 s here): at a quarter of a link they alone filled it and sync stalled.
    /// </summary>
    public double OriginShare { get; init; } = 1.0;

    public bool Extras { get; init; } = true;

    /// <summary>Exactly these size-mode cells, each at every load (null: the default cells).</summary>
    public IReadOnlyList<(SizeModel Sizes, GatewayMode Mode)>? OnlyCells { get; init; }

    public bool Quick { get; init; }

    /// <summary>Only the simulator's side of the validation, on the schedules the real run would use.</summary>
    public bool SimulateOnly { get; init; }

    public int Seed { get; init; } = 1;

    public string Out { get; init; } = "real-out";

    public string Name { get; init; } = "real";

    /// <summary>The simulator's scenario for one cell with <paramref name="requests"/> requests: the same volunteers, links, announces and seed.</summary>
    public Scenario ScenarioFor(RealCell cell, int requests) => new()
    {
        Volunteers = Volunteers,
        CapacityBytesPerSecond = CapacityBytesPerSecond,
        Load = cell.Load,
        Requests = requests,
        Sizes = cell.Sizes,
        EqualSizeBytes = EqualSizeBytes,
        AnnounceIntervalSeconds = AnnounceSeconds,
        Mode = cell.Mode,
        Seed = Seed,
    };

    public IReadOnlyList<RealCell> Cells()
    {
        var top = Loads.Max();
        if (OnlyCells is { } only)
        {
            return [.. only.SelectMany(c => Loads.Select(l => new RealCell(c.Sizes, c.Mode, l)))];
        }

        if (Quick)
        {
            return [new RealCell(SizeModel.Trace, GatewayMode.Redirect, top), new RealCell(SizeModel.Trace, GatewayMode.Proxy, top)];
        }

        var cells = Loads.Select(l => new RealCell(SizeModel.Trace, GatewayMode.Redirect, l)).ToList();
        if (Extras)
        {
            cells.Add(new RealCell(SizeModel.Trace, GatewayMode.Proxy, top));
            cells.Add(new RealCell(SizeModel.Equal, GatewayMode.Redirect, top));
        }

        return cells;
    }

    public static RealOptions? Parse(string[] args)
    {
        var options = new RealOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double Number() => double.Parse(Next(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--quick" => options with { Quick = true, Loads = [1.0], WindowSeconds = 6, Extras = false },
                "--volunteers" => options with { Volunteers = (int)Number() },
                "--capacity-mbit" => options with { CapacityBytesPerSecond = Number() * 1_000_000 / 8 },
                "--loads" => options with { Loads = [.. Next().Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture))] },
                "--window" => options with { WindowSeconds = Number() },
                "--announce" => options with { AnnounceSeconds = (int)Number() },
                "--policies" => options with { Policies = [.. Next().Split(',').Select(PolicyKinds.Parse)] },
                "--equal-mib" => options with { EqualSizeBytes = (long)(Number() * 1024 * 1024) },
                "--sync-share" => options with { SyncShare = Number() },
                "--sync-upload-share" => options with { SyncUploadShare = Number() is var share and >= 0 and < 1 ? share : throw new ArgumentException("--sync-upload-share must be from 0 (no limit) to below 1") },
                "--origin-share" => options with { OriginShare = Number() },
                "--no-extras" => options with { Extras = false },
                "--cells" => options with { OnlyCells = [.. Next().Split(',').Select(ParseCell)] },
                "--simulate-only" => options with { SimulateOnly = true },
                "--seed" => options with { Seed = (int)Number() },
                "--out" => options with { Out = Next() },
                "--name" => options with { Name = Next() },
                _ => null,
            };
            if (options is null)
            {
                return null;
            }
        }

        return options;
    }

    /// <summary>"trace-redirect", "equal-proxy", …: a size model and a gateway mode.</summary>
    private static (SizeModel Sizes, GatewayMode Mode) ParseCell(string text)
    {
        var parts = text.Split('-');
        return parts.Length == 2 && Enum.TryParse<SizeModel>(parts[0], ignoreCase: true, out var sizes) && Enum.TryParse<GatewayMode>(parts[1], ignoreCase: true, out var mode)
            ? (sizes, mode)
            : throw new ArgumentException($"--cells: '{text}' is not SIZES-MODE (trace|equal)-(redirect|proxy)");
    }
}
