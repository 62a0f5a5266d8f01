using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gateway.Agent.Hosting;
using Gateway.Agent.Mirror;
using Gateway.Agent.Status;

namespace Gateway.Demo;

/// <summary>
/// The demo's volunteers as real agents (when aria2c is installed): three mirrors, each an in-process
/// <c>volunteer</c> agent with its own aria2c, syncing the sample repository by BitTorrent from the origin
/// (web seed) and from each other, announcing to the gateway's tracker.
/// </summary>
public sealed class DemoAgents : IAsyncDisposable
{
    private static readonly (string Id, string Holds, string[] Mirror, int Weight)[] Mirrors =
    [
        ("v1", "every package and image (agent, full mirror)", ["pool", "iso"], 1),
        ("v2", "every package (agent, partial mirror: pool)", ["pool"], 1),
        ("v3", "the images (agent, partial mirror: iso)", ["iso"], 2),
    ];

    private readonly List<WebApplication> _apps = [];
    private readonly List<(string Id, Uri Url, string Holds, string Key)> _planned = [];

    private DemoAgents()
    {
        foreach (var (id, holds, _, _) in Mirrors)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            _planned.Add((id, new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"), holds, $"demo-{id}-key-0123456789"));
        }
    }

    public IReadOnlyList<(string Id, Uri Url, string Holds)> Volunteers => [.. _planned.Select(p => (p.Id, p.Url, p.Holds))];

    /// <summary>True when aria2c is on the PATH.</summary>
    public static bool Aria2Installed() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, "aria2c")));

    /// <summary>Picks the agents' ports, so the gateway can be configured with them before they start.</summary>
    public static DemoAgents Plan() => new();

    /// <summary>The gateway's settings for the agents (the demo's gateway hosts the tracker).</summary>
    public IEnumerable<string> GatewaySettings()
    {
        for (var i = 0; i < _planned.Count; i++)
        {
            yield return $"--Volunteers:{i}:Id={_planned[i].Id}";
            yield return $"--Volunteers:{i}:Url={_planned[i].Url}";
            yield return $"--Volunteers:{i}:Key={_planned[i].Key}";
            yield return $"--Volunteers:{i}:Weight={Mirrors[i].Weight}";
        }
    }

    /// <summary>Starts the agents: they listen, read the manifest and start their engines.</summary>
    public async Task StartAsync(string dataFolder, Uri trackerUrl, Uri originUrl, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _planned.Count; i++)
        {
            var (id, url, _, key) = _planned[i];
            var args = new List<string>
            {
                $"--Volunteer:TrackerUrl={trackerUrl}announce",
                $"--Volunteer:Key={key}",
                $"--Volunteer:ManifestUrl={originUrl}manifest.json",
                "--Volunteer:PollInterval=00:00:02",
                $"--Volunteer:Storage={Path.Combine(dataFolder, "agent-" + id)}",
                $"--Volunteer:Listen={url}",
                $"--Volunteer:PublicUrl={url}",
                "--Volunteer:ControlUrl=http://127.0.0.1:0",
                "--Volunteer:AnnounceIntervalSeconds=5",
                "--Logging:LogLevel:Default=Warning",
            };
            args.AddRange(Mirrors[i].Mirror.Select((prefix, n) => $"--Volunteer:Mirror:{n}={prefix}"));
            var app = VolunteerAgentHost.Build([.. args]);
            _apps.Add(app);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits (bounded) until each agent has verified everything in its scope, and prints their status.</summary>
    public async Task WaitSyncedAsync(TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        await progress.WriteLineAsync("demo: volunteer agents syncing the repository by BitTorrent (aria2c)...").ConfigureAwait(false);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!_apps.All(Synced) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }

        foreach (var app in _apps)
        {
            await progress.WriteLineAsync(app.Services.GetRequiredService<AgentStatusReporter>().Current().ToText()).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static bool Synced(WebApplication app)
    {
        var state = app.Services.GetRequiredService<MirrorState>();
        var torrents = state.Torrents();
        return state.HasCatalog && torrents.Length > 0 && torrents.All(t => t.Phase == TorrentPhase.Verified);
    }
}
