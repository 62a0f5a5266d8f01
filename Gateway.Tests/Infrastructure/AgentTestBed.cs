using Gateway.Agent;
using Gateway.Agent.Engine;
using Gateway.Agent.Hosting;
using Gateway.Agent.Mirror;
using Gateway.Agent.Status;
using Gateway.Core.Catalog;
using Gateway.Demo;
using Gateway.Feedback.Server;
using Gateway.State.Views;
using Gateway.Tools.Publish;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Infrastructure;

/// <summary>One agent the bed can start, stop and restart: its id, key, what it mirrors and its fixed public port.</summary>
public sealed record AgentSpec(string Id, params string[] Mirror)
{
    public string Key => Id + "-key-0123456789abcdef";
}

/// <summary>A running volunteer agent (in process) with its own aria2c.</summary>
public sealed class AgentUnderTest(AgentSpec spec, WebApplication app, Uri url)
{
    public AgentSpec Spec { get; } = spec;

    public WebApplication App { get; } = app;

    public string Id => Spec.Id;

    /// <summary>The agent's public base URL (ends with '/').</summary>
    public Uri Url { get; } = url;

    public Uri ControlUrl => App.Services.GetRequiredService<AgentEndpoints>().ControlUrl;

    public MirrorState State => App.Services.GetRequiredService<MirrorState>();

    public ITorrentEngine Engine => App.Services.GetRequiredService<ITorrentEngine>();

    public string Storage { get; init; } = string.Empty;

    /// <summary>Repository paths of the files in its storage (what it received), without aria2's control files (<c>name.aria2</c>).</summary>
    public IReadOnlyList<string> StoredPaths()
    {
        var files = Path.Combine(Storage, "files");
        return Directory.Exists(files)
            ? [.. Directory.EnumerateFiles(files, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".aria2", StringComparison.Ordinal)).Select(f => Path.GetRelativePath(files, f).Replace(Path.DirectorySeparatorChar, '/')).Order(StringComparer.Ordinal)]
            : [];
    }

    public string Describe() => App.Services.GetRequiredService<AgentStatusReporter>().Current().ToText();
}

/// <summary>
/// Origin (counting its bytes, optionally held to an uplink rate) + gateway hosting the tracker (short intervals) + volunteer
/// agents, each with its own aria2c on its own ports, all on loopback. Agents are stopped by the bed; each stops
/// its aria2c (by its RPC, or by PID when that fails).
/// </summary>
public sealed class AgentTestBed : IAsyncDisposable
{
    private readonly Dictionary<string, (AgentSpec Spec, int Port)> _specs;
    private readonly Dictionary<string, AgentUnderTest> _running = new(StringComparer.Ordinal);

    private AgentTestBed(TestRepository repository, StaticFileServer origin, ResponseMeter meter, Dictionary<string, (AgentSpec, int)> specs)
    {
        Repository = repository;
        Origin = origin;
        OriginMeter = meter;
        _specs = specs;
    }

    public TestRepository Repository { get; }

    /// <summary>The publishing origin as volunteers see it (manifest, .torrent files, web seed).</summary>
    public StaticFileServer Origin { get; }

    /// <summary>Counts what the origin sent (and holds it to the bed's uplink rate).</summary>
    public ResponseMeter OriginMeter { get; }

    public GatewayUnderTest Gateway { get; private set; } = null!;

    public Uri TrackerUrl { get; private set; } = null!;

    public string ManifestFile => Path.Combine(Repository.Folder, "manifest.json");

    public AgentUnderTest this[string id] => _running[id];

    /// <summary>Publishes what the repository holds, then starts the origin, the gateway and the agents in <paramref name="startNow"/> (all when null).</summary>
    public static async Task<AgentTestBed> StartAsync(TestRepository repository, IReadOnlyList<AgentSpec> agents, long originBytesPerSecond = 0, IReadOnlyList<string>? startNow = null, IReadOnlyList<string>? gatewaySettings = null)
    {
        var meter = new ResponseMeter(originBytesPerSecond);
        var origin = await StaticFileServer.StartAsync(repository.Folder, 0, CancellationToken.None, meter);
        var specs = agents.ToDictionary(a => a.Id, a => (a, TestPorts.Tcp()), StringComparer.Ordinal);
        var bed = new AgentTestBed(repository, origin, meter, specs);
        try
        {
            await bed.PublishAsync();
            var settings = new List<string>
            {
                $"--Catalog:Source={bed.ManifestFile}",
                "--Tracker:Enabled=true",
                "--Tracker:Urls=http://127.0.0.1:0",
                "--Tracker:UdpPort=-1",
                "--Tracker:Interval=00:00:02",
                "--Tracker:MinInterval=00:00:01",
                "--Tracker:VolunteerInterval=00:00:02",
                "--Tracker:VolunteerMinInterval=00:00:01",
                "--Tracker:PeerLifetime=00:00:06",
                "--Selection:FeedbackMaxAge=00:01:30",
                "--Tracker:ExpiryInterval=00:00:00.5",
                "--Tracker:RateLimitPerSecond=0",
            };
            var i = 0;
            foreach (var (spec, port) in specs.Values)
            {
                settings.Add($"--Volunteers:{i}:Id={spec.Id}");
                settings.Add($"--Volunteers:{i}:Url=http://127.0.0.1:{port}/");
                settings.Add($"--Volunteers:{i}:Key={spec.Key}");
                i++;
            }

            settings.AddRange(gatewaySettings ?? []);
            bed.Gateway = await GatewayUnderTest.StartAsync(repository, [], [.. settings]);
            bed.TrackerUrl = bed.Gateway.App.Services.GetRequiredService<TrackerServer>().HttpUrl!;
            foreach (var id in startNow ?? [.. specs.Keys])
            {
                await bed.StartAgentAsync(id);
            }

            return bed;
        }
        catch
        {
            await bed.DisposeAsync();
            throw;
        }
    }

    /// <summary>Publishes the repository's current files (web seed: the counting origin); the gateway and the agents follow by themselves.</summary>
    public Task<PublishResult> PublishAsync() =>
        new RepositoryPublisher(TimeProvider.System, new TorrentPublishOptions { WebSeed = Origin.BaseUrl })
            .PublishAsync(Repository.Folder, ManifestFile, TextWriter.Null, CancellationToken.None);

    /// <summary>The command-line settings of an agent (for an in-process agent or a real <c>Gateway volunteer</c> process).</summary>
    public IReadOnlyList<string> AgentArguments(string id)
    {
        var (spec, port) = _specs[id];
        var storage = StorageOf(id);
        var args = new List<string>
        {
            $"--Volunteer:TrackerUrl={TrackerUrl}announce",
            $"--Volunteer:Key={spec.Key}",
            $"--Volunteer:ManifestUrl={Origin.BaseUrl}manifest.json",
            "--Volunteer:PollInterval=00:00:00.3",
            $"--Volunteer:Storage={storage}",
            $"--Volunteer:Listen=http://127.0.0.1:{port}",
            $"--Volunteer:PublicUrl=http://127.0.0.1:{port}/",
            "--Volunteer:ControlUrl=http://127.0.0.1:0",
            "--Volunteer:AnnounceIntervalSeconds=1",
            "--Volunteer:EngineInterval=00:00:00.2",
            "--Volunteer:DrainTimeout=00:00:30",
            "--Logging:LogLevel:Default=Warning",
        };
        for (var i = 0; i < spec.Mirror.Length; i++)
        {
            args.Add($"--Volunteer:Mirror:{i}={spec.Mirror[i]}");
        }

        return args;
    }

    /// <summary>The folder an agent keeps its mirror in.</summary>
    public string StorageOf(string id) => Path.Combine(Repository.Root, "agent-" + id);

    /// <summary>Starts (or starts again, on the same storage and port) an agent.</summary>
    public async Task<AgentUnderTest> StartAgentAsync(string id, params string[] extra)
    {
        var (spec, port) = _specs[id];
        var app = VolunteerAgentHost.Build([.. AgentArguments(id), .. extra]);
        await app.StartAsync();
        var agent = new AgentUnderTest(spec, app, new Uri($"http://127.0.0.1:{port}/")) { Storage = StorageOf(id) };
        _running[id] = agent;
        return agent;
    }

    /// <summary>Starts an agent, as <paramref name="id"/>, from a configuration file alone (what <c>volunteer --config FILE</c> does).</summary>
    public async Task<AgentUnderTest> StartAgentFromFileAsync(string id, string configFile)
    {
        var (spec, port) = _specs[id];
        var app = VolunteerAgentHost.Build(["--config", configFile]);
        await app.StartAsync();
        var agent = new AgentUnderTest(spec, app, new Uri($"http://127.0.0.1:{port}/")) { Storage = StorageOf(id) };
        _running[id] = agent;
        return agent;
    }

    /// <summary>The loopback port the gateway expects the agent <paramref name="id"/> on (its <c>Volunteers:N:Url</c>).</summary>
    public int PortOf(string id) => _specs[id].Port;

    /// <summary>Stops an agent the way ops do (its drain: engine stopped with event=stopped, transfers finished).</summary>
    public async Task StopAgentAsync(string id)
    {
        if (_running.Remove(id, out var agent))
        {
            await StopAsync(agent);
        }
    }

    public string ContentOf(string path) =>
        Gateway.App.Services.GetRequiredService<CatalogState>().Current.Find(path)?.ContentId ?? throw new InvalidOperationException($"{path} is not in the gateway's catalog");

    public string[] HoldersOf(string path) =>
        Gateway.App.Services.GetRequiredService<CatalogState>().Current.Find(path) is { } entry
            ? Gateway.App.Services.GetRequiredService<HoldingsView>().HoldersOf(entry.ContentId)
            : [];

    /// <summary>Waits (bounded) until the gateway lists exactly <paramref name="ids"/> as holders of <paramref name="path"/>.</summary>
    public Task HoldersBecomeAsync(string path, IReadOnlyCollection<string> ids, TimeSpan? within = null) =>
        Eventually.HoldsAsync(
            () => HoldersOf(path).Order(StringComparer.Ordinal).SequenceEqual(ids.Order(StringComparer.Ordinal)),
            within ?? TimeSpan.FromSeconds(60),
            () => $"holders of {path}: [{string.Join(", ", HoldersOf(path))}], wanted [{string.Join(", ", ids)}]; agents:\n{string.Join("\n", _running.Values.Select(a => a.Describe()))}");

    /// <summary>
    /// Waits (bounded) until no report from <paramref name="ids"/> counts BitTorrent upload any more. Just after a
    /// sync, a holder's last report still carries its upload to the others (up to <c>Selection:SyncLoadWeight</c>
    /// flows), which tests that count redirects must not mistake for customers.
    /// </summary>
    public Task SyncLoadsSettleAsync(IReadOnlyCollection<string> ids, TimeSpan? within = null)
    {
        var estimator = Gateway.App.Services.GetRequiredService<Gateway.Delivery.Load.LoadEstimator>();
        return Eventually.HoldsAsync(
            () => ids.All(id => estimator.ReportedLoad(id, out _) is < 1),
            within ?? TimeSpan.FromSeconds(60),
            () => DescribeLoads(ids));
    }

    /// <summary>The gateway's last stored report of each of <paramref name="ids"/>, for failure messages.</summary>
    public string DescribeLoads(IEnumerable<string> ids)
    {
        var view = Gateway.App.Services.GetRequiredService<HoldingsView>();
        return string.Join("; ", ids.Select(id => $"{id} {(view.TryGetLoad(id, out var load) ? load.ToString() : "no report")}"));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _running.Values)
        {
            await StopAsync(agent);
        }

        _running.Clear();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        await Origin.DisposeAsync();
        OriginMeter.Dispose();
    }

    private static async Task StopAsync(AgentUnderTest agent)
    {
        var pid = agent.Engine.ProcessId;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await agent.App.StopAsync(timeout.Token);
        }
        finally
        {
            await agent.App.DisposeAsync();
            KillIfRunning(pid);
        }
    }

    // The engine's own shutdown normally ended it; a test that failed half way must not leave aria2c behind.
    private static void KillIfRunning(int? pid)
    {
        if (pid is null)
        {
            return;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid.Value);
            if ((process.ProcessName.StartsWith("aria2c", StringComparison.Ordinal) || process.ProcessName.StartsWith("transmission", StringComparison.Ordinal)) && !process.HasExited)
            {
                process.Kill();
            }
        }
        catch (ArgumentException)
        {
            // Not running any more.
        }
    }
}
