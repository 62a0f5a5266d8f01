using Gateway.Core.Catalog;
using Gateway.Feedback.Server;
using Gateway.Hosting;
using Gateway.Tools.Publish;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Gateway.Demo;

/// <summary>
/// The embedded default, running: a sample repository published, its origin, three volunteers holding
/// different subsets, and the gateway with the in-memory store. Used by the <c>demo</c> command and its test.
/// </summary>
public sealed class DemoEnvironment : IAsyncDisposable
{
    private readonly List<StaticFileServer> _servers = [];
    private readonly HttpClient _http = new();
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _gateway;
    private DemoAgents? _agents;
    private DemoAnnouncer? _announcer;
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

    public static async Task<DemoEnvironment> StartAsync(string dataFolder, int gatewayPort, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var demo = new DemoEnvironment(Path.GetFullPath(dataFolder));
        try
        {
            await demo.StartCoreAsync(gatewayPort, progress, cancellationToken).ConfigureAwait(false);
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
            await _agents.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _announcing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        _http.Dispose();
        if (_gateway is not null)
        {
            await _gateway.StopAsync().ConfigureAwait(false);
            await _gateway.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task StartCoreAsync(int gatewayPort, TextWriter progress, CancellationToken cancellationToken)
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
        if (DemoAgents.Aria2Installed())
        {
            await StartWithAgentsAsync(gatewayPort, manifest, progress, cancellationToken).ConfigureAwait(false);
            return;
        }

        await progress.WriteLineAsync("demo: aria2c is not installed, so the volunteers are plain file servers with fixed subsets. For real volunteer agents that sync by BitTorrent, install aria2 (Debian/Ubuntu: sudo apt-get install aria2) and run the demo again.").ConfigureAwait(false);

        // Three partial mirrors, as the paper's departments keep: everything; one half of the pool; the large files.
        var subsets = new (string Id, string Holds, Func<string, long, bool> Keep, int Weight)[]
        {
            ("v1", "every package and image", (path, _) => path.StartsWith("pool/", StringComparison.Ordinal) || path.StartsWith("iso/", StringComparison.Ordinal), 1),
            ("v2", "pool/main/ packages 0–1xx", (path, _) => path.StartsWith("pool/main/0/", StringComparison.Ordinal) || path.StartsWith("pool/main/1/", StringComparison.Ordinal), 1),
            ("v3", "files of 256 KB and more", (path, size) => size >= 256 * 1024 && !path.StartsWith("dists/", StringComparison.Ordinal), 2),
        };
        var volunteers = new List<(string, Uri, string)>();
        var keyed = new List<(string Id, string Key, string Folder, long Capacity)>();
        var settings = new List<string>();
        for (var i = 0; i < subsets.Length; i++)
        {
            var (id, holds, keep, weight) = subsets[i];
            var folder = Path.Combine(DataFolder, id);
            MirrorSubset(repository, folder, keep);
            var server = await StaticFileServer.StartAsync(folder, 0, cancellationToken).ConfigureAwait(false);
            _servers.Add(server);
            volunteers.Add((id, server.BaseUrl, holds));
            settings.AddRange(
            [
                $"--Volunteers:{i}:Id={id}",
                $"--Volunteers:{i}:Url={server.BaseUrl}",
                $"--Volunteers:{i}:Weight={weight}",
                $"--Volunteers:{i}:Inventory={new Uri(server.BaseUrl, StaticFileServer.InventoryPath)}",
                $"--Volunteers:{i}:Key=demo-key-{id}-0123456789",
            ]);
            keyed.Add((id, $"demo-key-{id}-0123456789", folder, weight * 10L * 1024 * 1024));
        }

        Volunteers = volunteers;
        await StartGatewayAsync(gatewayPort, manifest, settings, cancellationToken).ConfigureAwait(false);
        _announcer = new DemoAnnouncer(_http, TrackerUrl, keyed);
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
        await StartGatewayAsync(gatewayPort, manifest, [.. _agents.GatewaySettings()], cancellationToken).ConfigureAwait(false);
        await _agents.StartAsync(DataFolder, TrackerUrl, OriginUrl, progress, cancellationToken).ConfigureAwait(false);

        // The gateway probed the agents before they listened: wait until it holds them healthy holders again.
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

    private async Task StartGatewayAsync(int gatewayPort, string manifest, IReadOnlyList<string> settings, CancellationToken cancellationToken)
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
        ]);
        await _gateway.StartAsync(cancellationToken).ConfigureAwait(false);
        TrackerUrl = _gateway.Services.GetRequiredService<TrackerServer>().HttpUrl!;
        var address = _gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        GatewayUrl = new Uri(address.TrimEnd('/') + "/");
    }

    /// <summary>Announces again every 20 s (within the tracker's interval), so the demo's volunteers never expire.</summary>
    private async Task AnnounceLoopAsync(Manifest manifest, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
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
