using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gateway.Core.Catalog;
using Gateway.Delivery;
using Gateway.Delivery.Selection;
using Gateway.Delivery.Selection.Apache;
using Gateway.Demo;
using Gateway.Hosting;
using Gateway.Simulation.Harness;
using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;
using Gateway.State.Views;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.LoadBalancing;

namespace Gateway.Simulation.Real;

/// <summary>
/// The paper's experiment with real processes: volunteer agents (the gateway's <c>volunteer</c> command with aria2c)
/// in their own network namespaces behind tc-shaped links, half of them synchronizing new torrents all along,
/// announcing their load to the tracker hosted in one real gateway, and open-loop customers. For each cell
/// (sizes, mode, load) every policy faces the same schedule of arrivals; the gateway is switched between
/// policies and modes through its configuration reload. Everything started is stopped, by process id,
/// and the namespaces are deleted, also when the run fails.
/// </summary>
internal sealed class RealExperiment(RealOptions options, TextWriter log)
{
    private const int AgentPort = 8081;

    /// <summary>Called after the lab is up and before the runs (tests make a run fail here).</summary>
    public Func<NetworkLab, Task>? AfterSetup { get; init; }

    /// <summary>Each cell's arrivals as simulator requests (for <see cref="SimulatorComparison"/>).</summary>
    public Dictionary<RealCell, IReadOnlyList<Request>> Arrivals { get; } = [];

    /// <summary>The lab of the last run (for checks that it was removed).</summary>
    public NetworkLab? Lab { get; private set; }

    /// <summary>The customers' per-volunteer counts of the last run (what the byte-counter policy read).</summary>
    public CustomerMeter? Meter { get; private set; }

    /// <summary>Where the agents' executable is (the Gateway assembly next to this one).</summary>
    public string GatewayDll { get; init; } = Path.Combine(AppContext.BaseDirectory, "Gateway.dll");

    public async Task<IReadOnlyList<RealRun>> RunAsync(CancellationToken cancellationToken)
    {
        var root = Directory.CreateTempSubdirectory("gw-real-").FullName;
        var runs = new List<RealRun>();
        try
        {
            var lab = await NetworkLab.CreateAsync(options.Volunteers, (long)(options.CapacityBytesPerSecond * 8), cancellationToken).ConfigureAwait(false);
            Lab = lab;
            await using (lab.ConfigureAwait(false))
            {
                var host = IPAddress.Parse(lab.HostAddress);
                using var meter = new ResponseMeter((long)(options.OriginShare * options.CapacityBytesPerSecond));
                Directory.CreateDirectory(Path.Combine(root, "repository"));
                var origin = await StaticFileServer.StartAsync(Path.Combine(root, "repository"), host, 0, cancellationToken, meter).ConfigureAwait(false);
                await using (origin.ConfigureAwait(false))
                {
                    var files = new ExperimentFiles(root, origin.BaseUrl);
                    await files.CreateAsync(options.EqualSizeBytes, options.LargestBytes, options.Seed, cancellationToken).ConfigureAwait(false);
                    var trackerPort = FreePort(host);
                    var ids = lab.Volunteers.Select((_, i) => string.Create(CultureInfo.InvariantCulture, $"v{i}")).ToArray();
                    var syncing = Enumerable.Range(0, ids.Length).Select(i => i % 2 == 1).ToArray(); // as the simulator: every second one, starting with v1
                    for (var i = 0; i < ids.Length; i++)
                    {
                        var storage = Path.Combine(root, "agent-" + ids[i]);
                        files.Preload(storage);
                        lab.Start(lab.Volunteers[i], "dotnet", AgentArguments(lab, i, ids[i], storage, origin.BaseUrl, trackerPort, syncing[i]));
                    }

                    // Customers attribute a body to a volunteer by its address (redirect mode), or else (proxy mode: the
                    // gateway's address) by the gateway's choice for that request, known as soon as the answer starts.
                    var byAuthority = ids.Select((id, i) => (id, i)).ToDictionary(p => lab.Volunteers[p.i].Address + ":" + AgentPort.ToString(CultureInfo.InvariantCulture), p => p.id, StringComparer.Ordinal);
                    ServedByRecorder? recorder = null;
                    string? gatewayAuthority = null;
                    var customers = new CustomerMeter(ids, (request, authority) =>
                        byAuthority.TryGetValue(authority, out var id) ? id : authority == gatewayAuthority ? recorder?.ChosenFor(request) : null);
                    Meter = customers;
                    var sampler = new LinkSampler(lab.Volunteers, ids, customers, options.CapacityBytesPerSecond);
                    await using (sampler.ConfigureAwait(false))
                    {
                        var change = new ExperimentSwitch();
                        recorder = new ServedByRecorder(sampler, ids);
                        var app = GatewayHost.Build([.. GatewayArguments(lab, ids, files, origin.BaseUrl, trackerPort)], builder =>
                        {
                            ((Microsoft.Extensions.Configuration.IConfigurationBuilder)builder.Configuration).Add(change);
                            builder.Services.AddSingleton<ILoadBalancingPolicy>(new ByteCounterPolicy(sampler, customers));
                            builder.Services.AddSingleton<IStartupFilter>(recorder);
                        });
                        await app.StartAsync(cancellationToken).ConfigureAwait(false);
                        await using (app.ConfigureAwait(false))
                        {
                            await WaitForHoldersAsync(app, lab, files, ids, cancellationToken).ConfigureAwait(false);
                            if (AfterSetup is { } hook)
                            {
                                await hook(lab).ConfigureAwait(false);
                            }

                            using var stopSync = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                            var publisher = PublishSyncBatchesAsync(files, stopSync.Token);
                            try
                            {
                                await log.WriteLineAsync("real: warming up (sync batches flowing)").ConfigureAwait(false);
                                await Task.Delay(TimeSpan.FromSeconds(3 * options.AnnounceSeconds), cancellationToken).ConfigureAwait(false);
                                var gatewayUrl = new Uri(GatewayUrl(app) + "/");
                                gatewayAuthority = gatewayUrl.Authority;
                                foreach (var cell in options.Cells())
                                {
                                    runs.AddRange(await RunCellAsync(cell, app, change, recorder, sampler, customers, lab, files, ids, syncing, gatewayUrl, cancellationToken).ConfigureAwait(false));
                                }
                            }
                            finally
                            {
                                await stopSync.CancelAsync().ConfigureAwait(false);
                                await IgnoreCancellation(publisher).ConfigureAwait(false);
                            }

                            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                        }
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        return runs;
    }

    private async Task<IReadOnlyList<RealRun>> RunCellAsync(
        RealCell cell, WebApplication app, ExperimentSwitch change, ServedByRecorder recorder, LinkSampler sampler, CustomerMeter customers, NetworkLab lab,
        ExperimentFiles files, string[] ids, bool[] syncing, Uri gatewayUrl, CancellationToken cancellationToken)
    {
        var set = cell.Sizes == SizeModel.Equal ? files.Equal : files.Trace;
        var (generator, schedule) = Customers(options, cell, set, gatewayUrl, customers);
        var count = schedule.Count;
        var sizes = set.ToDictionary(f => f.Path, f => f.Size, StringComparer.Ordinal);
        Arrivals[cell] = SimulatorComparison.Requests(schedule, sizes, warmUp: 3 * options.AnnounceSeconds);
        var records = new RequestRecords(Path.Combine(options.Out, $"{options.Name}-requests-{cell.Tag}.csv"), ids);
        File.Delete(Path.Combine(options.Out, $"{options.Name}-requests-{cell.Tag}.csv"));
        var runs = new List<RealRun>();
        foreach (var policy in options.Policies)
        {
            change.Set(cell.Mode.ToString(), GatewayPolicyName(policy), drainReportedTransfers: policy != PolicyKind.FeedbackCounted, tieBreakOnBytesLeft: policy != PolicyKind.FeedbackUntied);
            await WaitForSwitchAsync(app, cell.Mode.ToString(), GatewayPolicyName(policy), cancellationToken).ConfigureAwait(false);
            recorder.Clear();
            var clock = Stopwatch.StartNew();
            var before = sampler.Counters();
            var results = await generator.RunAsync(schedule, cancellationToken).ConfigureAwait(false);
            var after = sampler.Counters();
            var elapsed = clock.Elapsed;
            var run = RealRun.From(cell, policy, options, schedule, results, recorder, ids, syncing, files.Sha256, before, after, elapsed.TotalSeconds);
            runs.Add(run);
            await records.AppendAsync(policy, schedule, results, sizes, recorder, cancellationToken).ConfigureAwait(false);
            await ReportExitedAgentsAsync(lab).ConfigureAwait(false);
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"real: {cell.Sizes} {cell.Mode} {cell.Load:P0} {policy.Label()}: {count} requests, mean {run.Result.Mean:F2} s, p99 {run.Result.Percentile(99):F2} s, failed {run.Failed}, wrong bytes {run.WrongBytes}, {elapsed.TotalSeconds:F0} s")).ConfigureAwait(false);

            // Let the links drain the previous policy's stragglers' effects (sync keeps running).
            await Task.Delay(TimeSpan.FromSeconds(options.AnnounceSeconds), cancellationToken).ConfigureAwait(false);
        }

        return runs;
    }

    /// <summary>An agent that exited mid-experiment leaves its link idle and the runs after it with one volunteer fewer: say so, with its last words.</summary>
    private async Task ReportExitedAgentsAsync(NetworkLab lab)
    {
        foreach (var volunteer in lab.Volunteers.Where(v => v.Server is { HasExited: true }))
        {
            await log.WriteLineAsync($"real: agent {volunteer.Id} has EXITED (code {volunteer.Server!.ExitCode}); its last output:\n{volunteer.LastOutput}").ConfigureAwait(false);
        }
    }

    /// <summary>A cell's customers: the Poisson rate for its load over the file set's mean size, and their schedule (a function of the seed).</summary>
    public static (LoadGenerator Generator, IReadOnlyList<Arrival> Schedule) Customers(
        RealOptions options, RealCell cell, IReadOnlyList<(string Path, long Size)> set, Uri gatewayUrl, CustomerMeter? meter = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(set);
        var mean = set.Average(f => (double)f.Size);
        var rate = cell.Load * options.Volunteers * options.CapacityBytesPerSecond / mean;
        var count = Math.Max(1, (int)Math.Round(rate * options.WindowSeconds));
        var generator = new LoadGenerator(gatewayUrl, rate, options.Seed) { RequestTimeout = TimeSpan.FromSeconds(Math.Max(60, 8 * options.WindowSeconds)), Meter = meter };
        return (generator, generator.Schedule([.. set.Select(f => f.Path)], count));
    }

    private static string GatewayPolicyName(PolicyKind policy) => policy switch
    {
        PolicyKind.ByRequests => ByRequestsPolicy.PolicyName,
        PolicyKind.ByBusyness => ByBusynessPolicy.PolicyName,
        PolicyKind.YarpPowerOfTwo => LoadBalancingPolicies.PowerOfTwoChoices,
        PolicyKind.Feedback or PolicyKind.FeedbackCounted or PolicyKind.FeedbackUntied => FeedbackPowerOfTwoPolicy.PolicyName,
        PolicyKind.ByteCounter => ByteCounterPolicy.PolicyName,
        _ => throw new ArgumentException($"{policy.Label()} is a simulator-only variant; the real run compares byrequests, bybusyness, yarp-p2c, feedback, feedback-counts, feedback-no-tiebreak, byte-counter"),
    };

    private IEnumerable<string> AgentArguments(NetworkLab lab, int index, string id, string storage, Uri origin, int trackerPort, bool syncing)
    {
        var address = lab.Volunteers[index].Address;
        yield return GatewayDll;
        yield return "volunteer";
        yield return $"--Volunteer:TrackerUrl=http://{lab.HostAddress}:{trackerPort.ToString(CultureInfo.InvariantCulture)}/announce";
        yield return $"--Volunteer:Key={Key(id)}";
        yield return $"--Volunteer:ManifestUrl={origin}manifest.json";
        yield return $"--Volunteer:PollInterval={TimeSpan.FromSeconds(options.AnnounceSeconds).ToString("c", CultureInfo.InvariantCulture)}";
        yield return $"--Volunteer:Storage={storage}";
        yield return $"--Volunteer:Listen=http://{address}:{AgentPort.ToString(CultureInfo.InvariantCulture)}";
        yield return $"--Volunteer:PublicUrl=http://{address}:{AgentPort.ToString(CultureInfo.InvariantCulture)}/";
        yield return "--Volunteer:ControlUrl=http://127.0.0.1:6980";
        yield return $"--Volunteer:AnnounceIntervalSeconds={options.AnnounceSeconds.ToString(CultureInfo.InvariantCulture)}";
        yield return "--Volunteer:EngineInterval=00:00:00.5";
        yield return "--Volunteer:DrainTimeout=00:00:03";
        yield return "--Volunteer:Mirror:0=pool";
        if (syncing)
        {
            yield return "--Volunteer:Mirror:1=sync";
            if (options.SyncUploadShare > 0)
            {
                yield return $"--Volunteer:UploadLimitBytesPerSecond={((long)(options.SyncUploadShare * options.CapacityBytesPerSecond)).ToString(CultureInfo.InvariantCulture)}";
                yield return $"--Volunteer:UplinkBytesPerSecond={((long)options.CapacityBytesPerSecond).ToString(CultureInfo.InvariantCulture)}";
            }
        }

        yield return "--Logging:LogLevel:Default=Warning";
    }

    private List<string> GatewayArguments(NetworkLab lab, string[] ids, ExperimentFiles files, Uri origin, int trackerPort)
    {
        var interval = TimeSpan.FromSeconds(options.AnnounceSeconds).ToString("c", CultureInfo.InvariantCulture);
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            $"--Catalog:Source={files.ManifestPath}",
            "--Catalog:ReloadInterval=00:00:01",
            $"--Origin:Url={origin}",
            "--Gateway:SmallFileThreshold=0",
            "--Health:ActiveEnabled=false",
            "--Tracker:Enabled=true",
            $"--Tracker:Urls=http://{lab.HostAddress}:{trackerPort.ToString(CultureInfo.InvariantCulture)}",
            "--Tracker:UdpPort=-1",
            $"--Tracker:Interval={interval}",
            "--Tracker:MinInterval=00:00:01",
            $"--Tracker:VolunteerInterval={interval}",
            "--Tracker:VolunteerMinInterval=00:00:01",
            $"--Tracker:PeerLifetime={TimeSpan.FromSeconds(4 * options.AnnounceSeconds).ToString("c", CultureInfo.InvariantCulture)}",
            "--Tracker:ExpiryInterval=00:00:00.5",
            "--Tracker:RateLimitPerSecond=0",
            $"--Selection:Seed={options.Seed.ToString(CultureInfo.InvariantCulture)}",
            $"--Selection:AssumedCapacityBytesPerSecond={((long)options.CapacityBytesPerSecond).ToString(CultureInfo.InvariantCulture)}",
            $"--Selection:FeedbackMaxAge={TimeSpan.FromSeconds(3 * options.AnnounceSeconds).ToString("c", CultureInfo.InvariantCulture)}",
            $"--Selection:DispatchMemory={TimeSpan.FromSeconds(Math.Max(1, options.AnnounceSeconds)).ToString("c", CultureInfo.InvariantCulture)}",
            "--Logging:LogLevel:Default=Warning",
        };
        for (var i = 0; i < ids.Length; i++)
        {
            args.Add($"--Volunteers:{i}:Id={ids[i]}");
            args.Add($"--Volunteers:{i}:Url=http://{lab.Volunteers[i].Address}:{AgentPort.ToString(CultureInfo.InvariantCulture)}/");
            args.Add($"--Volunteers:{i}:Key={Key(ids[i])}");
        }

        return args;
    }

    /// <summary>Publishes a new sync batch every two announce intervals, sized so each syncing volunteer must download <see cref="RealOptions.SyncShare"/> of its capacity.</summary>
    private async Task PublishSyncBatchesAsync(ExperimentFiles files, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed + 7);
        // Twice the poll interval: every agent sees every batch, and the manifest (which grows with the catalog) is not refetched every poll.
        var period = TimeSpan.FromSeconds(Math.Max(2, 2 * options.AnnounceSeconds));
        var bytes = (long)(options.SyncShare * options.CapacityBytesPerSecond * period.TotalSeconds);
        using var timer = new PeriodicTimer(period);
        var batch = 0;
        do
        {
            await files.AddSyncBatchAsync(batch++, bytes, keep: 6, random, cancellationToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    private async Task WaitForHoldersAsync(WebApplication app, NetworkLab lab, ExperimentFiles files, string[] ids, CancellationToken cancellationToken)
    {
        var catalog = app.Services.GetRequiredService<CatalogState>();
        var view = app.Services.GetRequiredService<HoldingsView>();
        var deadline = Stopwatch.StartNew();
        var paths = files.Trace.Concat(files.Equal).Select(f => f.Path).ToArray();
        while (true)
        {
            var missing = paths.Sum(p => catalog.Current.Find(p) is { } entry ? ids.Length - view.HoldersOf(entry.ContentId).Length : ids.Length);
            if (missing == 0)
            {
                await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"real: every volunteer holds every customer file after {deadline.Elapsed.TotalSeconds:F0} s")).ConfigureAwait(false);
                return;
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new InvalidOperationException($"the volunteers did not all become holders within 3 minutes ({missing} holdings missing); agents said:\n{string.Join("\n", lab.Volunteers.Select(v => $"{v.Id}: {v.LastOutput}"))}");
            }

            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WaitForSwitchAsync(WebApplication app, string mode, string policy, CancellationToken cancellationToken)
    {
        var lookup = app.Services.GetRequiredService<IProxyStateLookup>();
        var deadline = Stopwatch.StartNew();
        while (!(lookup.TryGetCluster(GatewayClusters.Volunteers, out var cluster) && cluster.Model.Config.LoadBalancingPolicy == policy
            && lookup.TryGetRoute("downloads", out var route) && route.Config.Metadata?[GatewayClusters.ModeMetadata] == mode))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"the gateway did not switch to {policy}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string GatewayUrl(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

    private static string Key(string id) => id + "-experiment-key-0123456789";

    private static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped on purpose.
        }
    }
}
