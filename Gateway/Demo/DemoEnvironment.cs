using Gateway.Core.Catalog;
using Gateway.Feedback.Server;
using Gateway.Hosting;
using Gateway.Tools.Publish;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Gateway.Demo;

/// <summary>
/// The embedded default, running: a sample repository published, its origin, three volunteers holding
/// different subsets, and the gateway with the in-memory store and its tracker, to which the volunteers announce
/// their load. Used by the <c>demo</c> command and its test.
/// </summary>
public sealed class DemoEnvironment : IAsyncDisposable
{
    private readonly List<StaticFileServer> _servers = [];
    private readonly List<ResponseMeter> _meters = [];
    private readonly HttpClient _http = new();
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _gateway;
    private DemoAgents? _agents;
    private DemoAnnouncer? _announcer;
    private DemoRequestCounter? _requests;
    private HeldProbes? _probes;
    private Task _announcing = Task.CompletedTask;

    private DemoEnvironment(string dataFolder) => DataFolder = dataFolder;

    public string DataFolder { get; }

    public Uri GatewayUrl { get; private set; } = null!;

    public Uri OriginUrl { get; private set; } = null!;

    /// <summary>The tracker's HTTP base URL (announce at <c>announce/{key}</c>).</summary>
    public Uri TrackerUrl { get; private set; } = null!;

    public IReadOnlyList<(string Id, Uri Url, string Holds)> Volunteers { get; private set; } = [];

    /// <summary>The gateway application (for tests that need its services).</summary>
    public WebApplication Gateway => _gateway ?? throw new InvalidOperationException("The demo has not started.");

    /// <summary>Where the gateway sent its customers, per volunteer.</summary>
    public DemoRequestCounter Requests => _requests ?? throw new InvalidOperationException("The demo has not started.");

    /// <summary>The status page's URL.</summary>
    public Uri StatusUrl => new(GatewayUrl, DemoStatusPage.Path.TrimStart('/'));

    /// <summary>True when the volunteers are real agents syncing by BitTorrent (aria2c installed), false for the built-in ones.</summary>
    public bool RealAgents => _agents is not null;

    public static Task<DemoEnvironment> StartAsync(string dataFolder, int gatewayPort, TextWriter progress, CancellationToken cancellationToken) =>
        StartAsync(dataFolder, gatewayPort, progress, builtInVolunteers: false, cancellationToken);

    /// <summary>Starts the demo; <c>builtInVolunteers</c> uses the built-in volunteers even when aria2c is installed (tests, and machines whose aria2c should not run).</summary>
    public static async Task<DemoEnvironment> StartAsync(string dataFolder, int gatewayPort, TextWriter progress, bool builtInVolunteers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var demo = new DemoEnvironment(Path.GetFullPath(dataFolder));
        try
        {
            await demo.StartCoreAsync(gatewayPort, progress, builtInVolunteers, cancellationToken).ConfigureAwait(false);
            return demo;
        }
        catch
        {
            await demo.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Agents first: their engines announce event=stopped to the gateway's tracker on the way out.
        if (_agents is not null)
        {
            _probes?.Hold();
            await _agents.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _announcing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        _http.Dispose();
        _requests?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.StopAsync().ConfigureAwait(false);
            await _gateway.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }

    private async Task StartCoreAsync(int gatewayPort, TextWriter progress, bool builtInVolunteers, CancellationToken cancellationToken)
    {
        var repository = Path.Combine(DataFolder, "origin");
        if (!Directory.Exists(repository))
        {
            await progress.WriteLineAsync($"demo: generating a sample repository in {repository}").ConfigureAwait(false);
            SampleRepository.Generate(repository);
        }

        // The origin serves the folder live, so it starts first and its URL goes into the torrents as web seed.
        var origin = await StaticFileServer.StartAsync(repository, 0, cancellationToken).ConfigureAwait(false);
        _servers.Add(origin);
        OriginUrl = origin.BaseUrl;
        var manifest = Path.Combine(repository, "manifest.json");
        var published = await new RepositoryPublisher(TimeProvider.System, new TorrentPublishOptions { WebSeed = origin.BaseUrl }).PublishAsync(repository, manifest, progress, cancellationToken).ConfigureAwait(false);
        await progress.WriteLineAsync($"demo: published {published.Files} files ({published.Bytes / 1048576.0:F1} MiB) and {published.Torrents} torrents to {manifest}").ConfigureAwait(false);
        if (!builtInVolunteers && DemoAgents.Aria2Installed())
        {
            await StartWithAgentsAsync(gatewayPort, manifest, progress, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!builtInVolunteers)
        {
            await progress.WriteLineAsync("demo: aria2c is not installed, so the volunteers are built-in file servers with fixed subsets that announce their measured load (one simulates BitTorrent sync). For real volunteer agents that sync by BitTorrent, install aria2 (Debian/Ubuntu: sudo apt-get install aria2) and run the demo again.").ConfigureAwait(false);
        }

        // Three mirrors on 10 MiB/s uplinks: two that serve customers only and one whose uplink simulated BitTorrent
        // sync fills to 70 %. v1 and v3 hold the same files, so the policy's choice between them is all load.
        var subsets = new (string Id, string Holds, Func<string, bool> Keep, double SyncShare)[]
        {
            ("v1", "every package and image", path => path.StartsWith("pool/", StringComparison.Ordinal) || path.StartsWith("iso/", StringComparison.Ordinal), 0),
            ("v2", "every package (pool/)", path => path.StartsWith("pool/", StringComparison.Ordinal), 0),
            ("v3", "every package and image; syncing: BitTorrent takes 70% of its uplink (simulated)", path => path.StartsWith("pool/", StringComparison.Ordinal) || path.StartsWith("iso/", StringComparison.Ordinal), 0.7),
        };
        const long capacity = 10L * 1024 * 1024;
        var volunteers = new List<(string, Uri, string)>();
        var builtIn = new List<BuiltInVolunteer>();
        var settings = new List<string>();
        for (var i = 0; i < subsets.Length; i++)
        {
            var (id, holds, keep, syncShare) = subsets[i];
            var folder = Path.Combine(DataFolder, id);
            MirrorSubset(repository, folder, (path, _) => keep(path));
            var volunteer = new BuiltInVolunteer(id, $"demo-key-{id}-0123456789", folder, capacity, new TransferGauge(), syncShare);

            // The uplink is limited to what the (simulated) sync leaves: transfers take the time they would, and the
            // load the volunteer reports is the load it has.
            var uplink = new ResponseMeter(volunteer.CustomerBytesPerSecond);
            _meters.Add(uplink);
            var server = await StaticFileServer.StartAsync(folder, 0, cancellationToken, uplink, volunteer.Transfers).ConfigureAwait(false);
            _servers.Add(server);
            volunteers.Add((id, server.BaseUrl, holds));
            settings.AddRange(
            [
                $"--Volunteers:{i}:Id={id}",
                $"--Volunteers:{i}:Url={server.BaseUrl}",
                $"--Volunteers:{i}:Inventory={new Uri(server.BaseUrl, StaticFileServer.InventoryPath)}",
                $"--Volunteers:{i}:Key={volunteer.Key}",
            ]);
            builtIn.Add(volunteer);
        }

        // The volunteers listen before the gateway starts, so its first health probes pass.
        Volunteers = volunteers;
        await StartGatewayAsync(gatewayPort, manifest, settings, heldProbes: null, cancellationToken).ConfigureAwait(false);
        _announcer = new DemoAnnouncer(_http, TrackerUrl, builtIn);
        Manifest torrents;
        await using (var stream = File.OpenRead(manifest))
        {
            torrents = await ManifestReader.ReadAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        await _announcer.AnnounceAllAsync(torrents, cancellationToken).ConfigureAwait(false);
        _announcing = AnnounceLoopAsync(torrents, _stopping.Token);
    }

    // The volunteers as real agents: each syncs its scope by BitTorrent and announces to the gateway's tracker.
    private async Task StartWithAgentsAsync(int gatewayPort, string manifest, TextWriter progress, CancellationToken cancellationToken)
    {
        _agents = DemoAgents.Plan();
        Volunteers = _agents.Volunteers;

        // The gateway (and its tracker) first, so the agents' first announces reach it; its health probes wait
        // until the agents listen, so none is refused.
        _probes = new HeldProbes();
        await StartGatewayAsync(gatewayPort, manifest, [.. _agents.GatewaySettings()], _probes, cancellationToken).ConfigureAwait(false);
        await _agents.StartAsync(DataFolder, TrackerUrl, OriginUrl, cancellationToken).ConfigureAwait(false);
        _probes.Release();
        await _agents.WaitSyncedAsync(progress, cancellationToken).ConfigureAwait(false);

        // Wait until the gateway holds them healthy holders: announced to the tracker and probed.
        var lookup = _gateway!.Services.GetRequiredService<Yarp.ReverseProxy.IProxyStateLookup>();
        var view = _gateway.Services.GetRequiredService<Gateway.State.Views.HoldingsView>();
        var contents = _gateway.Services.GetRequiredService<Gateway.Core.Catalog.CatalogState>().Current.ContentIds;
        bool Ready(string id) =>
            lookup.TryGetCluster(global::Gateway.Delivery.GatewayClusters.Volunteers, out var cluster) && cluster.Destinations.TryGetValue(id, out var destination)
            && destination.Health.Active == Yarp.ReverseProxy.Model.DestinationHealth.Healthy
            && contents.Any(c => view.HoldersOf(c).Contains(id));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!Volunteers.All(v => Ready(v.Id)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StartGatewayAsync(int gatewayPort, string manifest, IReadOnlyList<string> settings, HeldProbes? heldProbes, CancellationToken cancellationToken)
    {
        _gateway = GatewayHost.Build(
        [
            "--urls", $"http://127.0.0.1:{gatewayPort}",
            $"--Catalog:Source={manifest}",
            $"--Origin:Url={OriginUrl}",
            "--Health:Path=/healthz",
            "--Health:Interval=00:00:02",
            "--Health:Timeout=00:00:01",
            "--Logging:LogLevel:Default=Warning",

            // The tracker on its own loopback ports: the volunteers' holdings and loads come from announces.
            "--Tracker:Enabled=true",
            "--Tracker:Urls=http://127.0.0.1:0",
            "--Tracker:UdpPort=0",
            "--Tracker:UdpAddress=127.0.0.1",
            "--Tracker:Interval=00:00:30",
            "--Tracker:MinInterval=00:00:10",
            "--Tracker:VolunteerMinInterval=00:00:10",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning",
            .. settings,
        ],
        builder =>
        {
            if (heldProbes is not null)
            {
                ((IConfigurationBuilder)builder.Configuration).Add(heldProbes);
            }
        });
        _requests = new DemoRequestCounter(_gateway.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), _gateway.Services.GetRequiredService<TimeProvider>());
        DemoStatusPage.Map(_gateway, this, _requests);
        await _gateway.StartAsync(cancellationToken).ConfigureAwait(false);
        TrackerUrl = _gateway.Services.GetRequiredService<TrackerServer>().HttpUrl!;
        var address = _gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        GatewayUrl = new Uri(address.TrimEnd('/') + "/");
    }

    /// <summary>Announces again every <see cref="DemoAnnouncer.Interval"/>, with the load measured then.</summary>
    private async Task AnnounceLoopAsync(Manifest manifest, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(DemoAnnouncer.Interval, cancellationToken).ConfigureAwait(false);
            try
            {
                await _announcer!.AnnounceAllAsync(manifest, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
                // The gateway is stopping, or busy: the next round tries again.
            }
        }
    }

    private static void MirrorSubset(string repository, string folder, Func<string, long, bool> keep)
    {
        foreach (var file in Directory.EnumerateFiles(repository, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(repository, file).Replace(Path.DirectorySeparatorChar, '/');
            var length = new FileInfo(file).Length;
            var target = Path.Combine(folder, relative);
            if (keep(relative, length) && !(File.Exists(target) && new FileInfo(target).Length == length))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target, overwrite: true);
            }
        }
    }
}
