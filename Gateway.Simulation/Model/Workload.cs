namespace Gateway.Simulation.Model;

/// <summary>
/// One customer request: when it is submitted, how big it is, whether it is for the released package, and which
/// catalog file it asks for (partial holdings; −1 when every volunteer holds everything).
/// </summary>
internal readonly record struct Request(double Time, double Bytes, bool Hot, int File = -1);

/// <summary>A volunteer's presence: it is online from each Join to the following Leave.</summary>
internal readonly record struct Presence(double Time, bool Join);

/// <summary>
/// Everything random about a run that does not depend on the policy, drawn once from the seed, so every
/// policy faces the same arrivals, sizes, announce phases, churn and replication times.
/// </summary>
internal sealed class Workload
{
    private Workload(Scenario scenario, Request[]? given)
    {
        Mirrors = scenario.Holdings == HoldingModel.Partial ? PartialMirrors.For(scenario) : null;
        var requests = given ?? Arrivals(scenario, Mirrors);
        var time = requests.Length == 0 ? 0 : requests[^1].Time;
        Requests = requests;
        ArrivalWindow = time;
        var phases = new Random(scenario.Seed + 1);
        AnnouncePhase = [.. Enumerable.Range(0, scenario.Volunteers).Select(_ => phases.NextDouble() * scenario.AnnounceIntervalSeconds)];
        var share = scenario.SyncingShare;
        Syncing = [.. Enumerable.Range(0, scenario.Volunteers).Select(v => Math.Floor((v + 1) * share) > Math.Floor(v * share))];
        var replication = new Random(scenario.Seed + 2);
        HotAt = [.. Enumerable.Range(0, scenario.Volunteers).Select(_ => scenario.FlashCrowd ? replication.NextDouble() * scenario.ReplicationSeconds : 0)];
        var churn = new Random(scenario.Seed + 3);
        Presence = [.. Enumerable.Range(0, scenario.Volunteers).Select(_ => scenario.Volatile ? Churn(churn, scenario, Math.Max(time, ChurnSpanSeconds)) : [])];
    }

    public IReadOnlyList<Request> Requests { get; }

    /// <summary>The partial mirrors' catalog and holders; null when every volunteer holds everything.</summary>
    public PartialMirrors? Mirrors { get; }

    /// <summary>From the start to the last arrival: the window in which network use is measured.</summary>
    public double ArrivalWindow { get; }

    public IReadOnlyList<double> AnnouncePhase { get; }

    /// <summary>Which volunteers synchronize: spread evenly over configuration order (with half, every second one).</summary>
    public IReadOnlyList<bool> Syncing { get; }

    /// <summary>When each volunteer holds the released package.</summary>
    public IReadOnlyList<double> HotAt { get; }

    /// <summary>Leave and join times after the start (every volunteer starts online).</summary>
    public IReadOnlyList<Presence[]> Presence { get; }

    public static Workload For(Scenario scenario) => new(scenario, null);

    /// <summary>Given requests (in time order) instead of drawn ones: for hand-computed cases.</summary>
    public static Workload With(Scenario scenario, IEnumerable<Request> requests) => new(scenario, [.. requests]);

    /// <summary>Share of requests for the released package at fraction <paramref name="x"/> of the window: decays like Fig. 5 and averages 1/3.</summary>
    public static double HotShare(double x) => HotPeak * Math.Exp(-2 * x);

    // Chosen so that the mean of HotPeak·e^(−2x) over [0, 1] is 1/3.
    private static readonly double HotPeak = 2.0 / 3.0 / (1 - Math.Exp(-2));

    // Churn continues while the last transfers drain, not just during arrivals.
    private const double ChurnSpanSeconds = 3_600;

    private static Request[] Arrivals(Scenario scenario, PartialMirrors? catalog)
    {
        var random = new Random(scenario.Seed);
        var rate = scenario.ArrivalRate(catalog?.MeanRequestBytes ?? scenario.MeanRequestBytes);
        var requests = new Request[scenario.Requests];
        var window = scenario.Requests / rate;
        var time = 0.0;
        for (var i = 0; i < requests.Length; i++)
        {
            time += -Math.Log(1 - random.NextDouble()) / rate;
            var hot = scenario.FlashCrowd && random.NextDouble() < HotShare(time / window);
            if (catalog is not null && !hot)
            {
                var file = catalog.Draw(random);
                requests[i] = new Request(time, catalog.Sizes[file], false, file);
                continue;
            }

            var bytes = hot ? scenario.HotPackageBytes
                : scenario.Sizes == SizeModel.Equal ? scenario.EqualSizeBytes : FileSizes.DrawTrace(random);
            requests[i] = new Request(time, bytes, hot);
        }

        return requests;
    }

    private static Presence[] Churn(Random random, Scenario scenario, double window)
    {
        var events = new List<Presence>();
        var t = 0.0;
        var online = true;
        while (true)
        {
            var mean = online ? scenario.MeanOnlineSeconds : scenario.MeanOfflineSeconds;
            t += -Math.Log(1 - random.NextDouble()) * mean;
            if (t >= window)
            {
                return [.. events];
            }

            online = !online;
            events.Add(new Presence(t, online));
        }
    }
}
