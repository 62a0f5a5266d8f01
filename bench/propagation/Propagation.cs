#:sdk Microsoft.NET.Sdk.Web
#:project ../../Gateway/Gateway.csproj
#:property PublishAot=false
#:property NoWarn=$(NoWarn);CA1812;CA1849;CA2007;CA1303;CA5394;CA1515

// Propagating a release to N volunteers: by volunteer agents (BitTorrent among themselves, the origin as
// web seed) versus each volunteer rsyncing from the origin (Debian's rsync daemon). Everything on 127.0.0.1.
// The origin's upload capacity is the same for both: one token bucket (ResponseMeter) shared by all its responses for the
// agents; for rsync, each of the N clients gets capacity/N (--bwlimit), the fair share of the same uplink.
// Run by bench/propagation.sh; results go to docs/benchmarks.md ("Release propagation").
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gateway.Agent;
using Gateway.Demo;
using Gateway.Core.Announce;
using Gateway.Core.Torrents;
using Gateway.Feedback.Http;
using Gateway.Feedback.Server;
using Gateway.Feedback.Tracker;
using Gateway.Feedback.Udp;
using Gateway.State;
using Gateway.State.Memory;
using Gateway.Core.Hosting;
using Gateway.Delivery;
using Gateway.Hosting;
using Gateway.Tools.Publish;
using Gateway.Agent.Hosting;
using Gateway.Agent.Mirror;
using Gateway.Agent.Serving;
using Gateway.Agent.Status;
using Gateway.Agent.Sync;
using Gateway.Cli;
using Gateway.Agent.Relay;
var sizeMb = Arg("--size-mb", 200);
var volunteers = Arg("--volunteers", 8);
var originMbps = Arg("--origin-mbps", 25);
var work = Path.Combine(Path.GetTempPath(), "gw-propagation-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
var capacity = originMbps * 1_000_000L;
Console.WriteLine($"release {sizeMb} MB, {volunteers} volunteers, origin upload {originMbps} MB/s; work folder {work}");
try
{
    var origin = Path.Combine(work, "origin");
    Directory.CreateDirectory(origin);
    await File.WriteAllTextAsync(Path.Combine(origin, "README"), "bench origin\n");
    var (files, bytes) = Release.Write(Path.Combine(work, "release"), sizeMb * 1_000_000L);
    Console.WriteLine($"release: {files} files, {bytes / 1e6:F1} MB ({Release.Mix})");

    // Side by side in one run: agents with web-seed slicing (the default), agents on the plain web seed (every
    // agent fetches any range from the origin), and rsync. --skip-plain / --skip-rsync leave one out.
    var rows = new List<(string Method, double Seconds, long OriginBytes)>();
    var sliced = await RunAgentsAsync(work, origin, volunteers, capacity, slicing: true);
    rows.Add(("agents, web-seed slicing", sliced.Seconds, sliced.OriginBytes));
    Console.WriteLine($"agents (slicing): {sliced.Seconds:F1} s, origin sent {sliced.OriginBytes / 1e6:F1} MB ({sliced.OriginBytes / (double)bytes:F2} x release)");
    if (!Flag("--skip-plain"))
    {
        var plain = await RunAgentsAsync(work, origin, volunteers, capacity, slicing: false);
        rows.Add(("agents, plain web seed", plain.Seconds, plain.OriginBytes));
        Console.WriteLine($"agents (plain web seed): {plain.Seconds:F1} s, origin sent {plain.OriginBytes / 1e6:F1} MB ({plain.OriginBytes / (double)bytes:F2} x release)");
    }

    if (!Flag("--skip-rsync"))
    {
        var rsync = await RunRsyncAsync(work, origin, volunteers, capacity);
        rows.Add(("rsync from the origin", rsync.Seconds, rsync.OriginBytes));
        Console.WriteLine($"rsync:  {rsync.Seconds:F1} s, origin sent {rsync.OriginBytes / 1e6:F1} MB ({rsync.OriginBytes / (double)bytes:F2} x release)");
    }

    Console.WriteLine();
    Console.WriteLine("| method | wall time (s) | origin sent (MB) | × release |");
    Console.WriteLine("|---|---|---|---|");
    foreach (var (method, seconds, originBytes) in rows)
    {
        Console.WriteLine($"| {method} | {seconds:F1} | {originBytes / 1e6:F1} | {originBytes / (double)bytes:F2} |");
    }

    return 0;
}
finally
{
    Directory.Delete(work, recursive: true);
}

static async Task<(double Seconds, long OriginBytes)> RunAgentsAsync(string work, string origin, int count, long capacity, bool slicing)
{
    using var meter = new ResponseMeter(capacity);
    await using var server = await StaticFileServer.StartAsync(origin, 0, CancellationToken.None, meter);
    var manifest = Path.Combine(origin, "manifest.json");
    var publisher = new RepositoryPublisher(TimeProvider.System, new TorrentPublishOptions { WebSeed = server.BaseUrl });
    await publisher.PublishAsync(origin, manifest, TextWriter.Null, CancellationToken.None);
    var ports = Enumerable.Range(0, count).Select(_ => FreePort()).ToArray();
    var settings = new List<string>
    {
        "--urls", "http://127.0.0.1:0", $"--Catalog:Source={manifest}", "--Catalog:ReloadInterval=00:00:00.5",
        $"--Origin:Url={server.BaseUrl}", "--Tracker:Enabled=true", "--Tracker:Urls=http://127.0.0.1:0", "--Tracker:UdpPort=-1",
        "--Tracker:Interval=00:00:05", "--Tracker:MinInterval=00:00:01",
        "--Tracker:VolunteerInterval=00:00:05", "--Tracker:VolunteerMinInterval=00:00:01", "--Tracker:RateLimitPerSecond=0", "--Health:ActiveEnabled=false", "--Logging:LogLevel:Default=Warning",
    };
    for (var i = 0; i < count; i++)
    {
        settings.AddRange([$"--Volunteers:{i}:Id=v{i}", $"--Volunteers:{i}:Url=http://127.0.0.1:{ports[i]}/", $"--Volunteers:{i}:Key=bench-v{i}-key-0123456789"]);
    }

    await using var gateway = GatewayHost.Build([.. settings]);
    await gateway.StartAsync();
    var tracker = gateway.Services.GetRequiredService<TrackerServer>().HttpUrl!;
    var apps = new List<WebApplication>();
    try
    {
        for (var i = 0; i < count; i++)
        {
            var app = VolunteerAgentHost.Build(
            [
                $"--Volunteer:TrackerUrl={tracker}announce", $"--Volunteer:Key=bench-v{i}-key-0123456789",
                $"--Volunteer:ManifestUrl={server.BaseUrl}manifest.json", "--Volunteer:PollInterval=00:00:00.5",
                $"--Volunteer:Storage={Path.Combine(work, (slicing ? "sliced-" : "plain-") + i.ToString(CultureInfo.InvariantCulture))}",
                $"--Volunteer:Listen=http://127.0.0.1:{ports[i]}", $"--Volunteer:PublicUrl=http://127.0.0.1:{ports[i]}/",
                "--Volunteer:ControlUrl=http://127.0.0.1:0", "--Volunteer:AnnounceIntervalSeconds=2", "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel=Critical", // the relay's clipped ranges (see WebSeedRelay)
                $"--Volunteer:WebSeedSlicing={slicing}",
            ]);
            apps.Add(app);
            await app.StartAsync();
        }

        // Every agent is running and follows the feed (it holds the README's torrent): now the release is published.
        await WaitAsync(() => apps.All(a => Synced(a, 1)), TimeSpan.FromMinutes(2));
        Release.MoveInto(Path.Combine(work, "release"), origin);
        var before = meter.BytesSent;
        var clock = Stopwatch.StartNew();
        await publisher.PublishAsync(origin, manifest, TextWriter.Null, CancellationToken.None);
        var torrents = (await Gateway.Catalog.ManifestReader.ReadAsync(File.OpenRead(manifest), CancellationToken.None)).Torrents!.Count;
        await WaitAsync(() => apps.All(a => Synced(a, torrents)), TimeSpan.FromMinutes(20));
        var elapsed = clock.Elapsed.TotalSeconds;
        if (slicing)
        {
            // What the relays let through, by why (slice: the agent's own; alone / no slice / stalled: the fallbacks).
            var reasons = apps.SelectMany(a => a.Services.GetRequiredService<MirrorState>().Torrents())
                .SelectMany(t => t.WebSeed?.ForwardedByReason ?? new Dictionary<string, long>())
                .GroupBy(r => r.Key, r => r.Value)
                .Select(g => $"{g.Key} {g.Sum() / 1e6:F1} MB");
            var deferred = apps.SelectMany(a => a.Services.GetRequiredService<MirrorState>().Torrents()).Sum(t => t.WebSeed?.Deferred ?? 0);
            Console.WriteLine($"  relays forwarded: {string.Join(", ", reasons)}; deferred {deferred} requests");
        }

        return (elapsed, meter.BytesSent - before);
    }
    finally
    {
        foreach (var app in apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Release.MoveInto(origin, Path.Combine(work, "release"), except: ["README", "manifest.json", "torrents"]);
    }
}

static async Task<(double Seconds, long OriginBytes)> RunRsyncAsync(string work, string origin, int count, long capacity)
{
    Release.MoveInto(Path.Combine(work, "release"), origin);
    var port = FreePort();
    var config = Path.Combine(work, "rsyncd.conf");
    await File.WriteAllTextAsync(config, $"use chroot = false\n[repo]\n  path = {origin}\n  read only = true\n");
    using var daemon = Process.Start(new ProcessStartInfo("rsync", ["--daemon", "--no-detach", "--address=127.0.0.1", $"--port={port}", $"--config={config}"]))!;
    try
    {
        await WaitAsync(() => ModuleAnswers(port), TimeSpan.FromSeconds(20));
        var clock = Stopwatch.StartNew();
        var runs = Enumerable.Range(0, count).Select(async i =>
        {
            var target = Path.Combine(work, "rsync-" + i.ToString(CultureInfo.InvariantCulture)) + "/";
            var start = new ProcessStartInfo("rsync", ["-a", "--stats", $"--bwlimit={capacity / count / 1024}", $"rsync://127.0.0.1:{port}/repo/", target]) { RedirectStandardOutput = true };
            using var client = Process.Start(start)!;
            var output = await client.StandardOutput.ReadToEndAsync();
            await client.WaitForExitAsync();
            var line = output.Split('\n').First(l => l.StartsWith("Total bytes received:", StringComparison.Ordinal));
            return long.Parse(line.Split(':')[1].Trim().Replace(",", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);
        }).ToList();
        var received = await Task.WhenAll(runs);
        return (clock.Elapsed.TotalSeconds, received.Sum());
    }
    finally
    {
        daemon.Kill();
    }
}

static bool Synced(WebApplication app, int torrents)
{
    var state = app.Services.GetRequiredService<MirrorState>();
    var all = state.Torrents();
    return all.Length >= torrents && all.All(t => t.Phase == TorrentPhase.Verified);
}

static async Task WaitAsync(Func<bool> condition, TimeSpan within)
{
    var deadline = Stopwatch.StartNew();
    while (!condition())
    {
        if (deadline.Elapsed > within)
        {
            throw new TimeoutException($"not done within {within}");
        }

        await Task.Delay(100);
    }
}

// Ready when the module lists: the daemon listens and reads its configuration.
static bool ModuleAnswers(int port)
{
    using var probe = Process.Start(new ProcessStartInfo("rsync", ["--list-only", $"rsync://127.0.0.1:{port}/repo/README"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    probe.WaitForExit();
    return probe.ExitCode == 0;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static bool Flag(string name) => Environment.GetCommandLineArgs().Contains(name);

static int Arg(string name, int fallback)
{
    var args = Environment.GetCommandLineArgs();
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

/// <summary>A release in the paper's size mix, and moving it in and out of the origin.</summary>
internal static class Release
{
    public const string Mix = "81% of files under 256 KB, 80% of bytes in files over 4 MB";

    public static (int Files, long Bytes) Write(string folder, long total)
    {
        var random = new Random(20261126);
        var files = 0;
        long bytes = 0;
        void Add(string path, int size)
        {
            var full = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var data = new byte[size];
            random.NextBytes(data);
            File.WriteAllBytes(full, data);
            files++;
            bytes += size;
        }

        // 80% of the bytes in large files of 8-24 MB; of the other files 95% under 256 KB, 5% of 256 KB - 4 MB:
        // with the large ones about 81% of all files are small, as in the paper's trace.
        var i = 0;
        while (bytes < total * 0.8)
        {
            Add($"iso/release-{i++}.iso", (int)Math.Min(random.Next(8_000_000, 24_000_000), total * 0.8 - bytes + 1));
        }

        var small = 0;
        while (bytes < total)
        {
            var large = small++ % 20 == 19;
            var size = large ? random.Next(256 * 1024, 4 * 1024 * 1024) : (int)Math.Exp(Math.Log(1024) + random.NextDouble() * (Math.Log(256 * 1024) - Math.Log(1024)));
            Add($"pool/main/{small % 16:x}/pkg{small}/pkg{small}_1.0_amd64.deb", (int)Math.Min(size, total - bytes + 1));
        }

        return (files, bytes);
    }

    public static void MoveInto(string from, string to, string[]? except = null)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(from))
        {
            var name = Path.GetFileName(entry);
            if (except?.Contains(name) == true)
            {
                continue;
            }

            Directory.Move(entry, Path.Combine(to, name));
        }
    }
}
