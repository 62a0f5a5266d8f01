#:sdk Microsoft.NET.Sdk
#:project ../../Gateway/Gateway.csproj
#:property PublishAot=false
#:property NoWarn=$(NoWarn);CA1812;CA1849;CA2007;CA1303;CA5394;CA1515;CA1305;CA1307;CA1310;CA2000

// How long a tracker takes to write again the full holdings and latest load of every volunteer it knows after Redis
// lost its state (docs/redis.md, "Redis restarted empty"): N volunteers, each seeding one torrent of C content ids, are
// recorded through HoldingsRecorder on a real redis-server; then FLUSHALL, and HoldingsRecorder.RewriteAllAsync is timed
// until it returns, and until a full read (GetSnapshotAsync) shows every volunteer with all its holdings and a load.
// Run by bench/store-rebuild.sh. Output: one CSV line per round on stdout.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Core.Torrents;
using Gateway.Feedback.Tracker;
using Gateway.State;
using Gateway.State.Setup;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var volunteers = ArgInt("--volunteers", 1000);
var rounds = ArgInt("--rounds", 5);
var sizes = (Arg("--contents") ?? "1,100,1000").Split(',').Select(int.Parse).ToArray();

var port = FreePort();
var folder = Directory.CreateTempSubdirectory("store-rebuild-").FullName;
using var redis = Process.Start(new ProcessStartInfo("redis-server", ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder, "--daemonize", "no", "--logfile", Path.Combine(folder, "redis.log")]))!;
try
{
    await WaitForRedisAsync(port);
    var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Store:Kind"] = "Redis",
        ["Store:Redis"] = $"127.0.0.1:{port}",
        ["Store:KeyPrefix"] = "bench",
    }).Build();
    var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Error)).AddStores(configuration).BuildServiceProvider();
    var store = services.GetRequiredService<IHoldingsStore>();
    Console.WriteLine($"# redis-server {RedisVersion()} on 127.0.0.1, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
    Console.WriteLine("volunteers,contents_per_volunteer,round,rewrite_ms,until_snapshot_complete_ms");
    foreach (var contents in sizes)
    {
        for (var round = 1; round <= rounds; round++)
        {
            await Cli(port, "FLUSHALL");
            using var recorder = new HoldingsRecorder(store);
            var ids = Enumerable.Range(0, contents).Select(i => Convert.ToHexStringLower(BitConverter.GetBytes((long)i)).PadLeft(64, '0')).ToArray();
            for (var v = 0; v < volunteers; v++)
            {
                var torrent = new InfoHash(TwentyBytes(v));
                var peer = new PeerId(TwentyBytes(-v - 1));
                await recorder.SeedingAsync($"v{v}", torrent, peer, ids, rewrite: false, CancellationToken.None);
                await recorder.ReportLoadAsync($"v{v}", new LoadReport(v % 7, 0, 0, 0, 0, DateTimeOffset.UtcNow), CancellationToken.None);
            }

            await Cli(port, "FLUSHALL");
            var started = Stopwatch.GetTimestamp();
            var written = await recorder.RewriteAllAsync(DateTimeOffset.UtcNow.AddMinutes(-10), CancellationToken.None);
            var rewrite = Stopwatch.GetElapsedTime(started);
            while (true)
            {
                var snapshot = await store.GetSnapshotAsync(CancellationToken.None);
                if (snapshot.Holdings.Count == volunteers && snapshot.Loads.Count == volunteers && snapshot.Holdings.Values.All(h => h.Count == contents))
                {
                    break;
                }
            }

            var complete = Stopwatch.GetElapsedTime(started);
            if (written != volunteers)
            {
                throw new InvalidOperationException($"rewrote {written} volunteers, expected {volunteers}");
            }

            Console.WriteLine($"{volunteers},{contents},{round},{rewrite.TotalMilliseconds:0.0},{complete.TotalMilliseconds:0.0}");
        }
    }

    await services.DisposeAsync();
}
finally
{
    redis.Kill();
    await redis.WaitForExitAsync();
    Directory.Delete(folder, recursive: true);
}

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
int ArgInt(string name, int fallback) => Arg(name) is { } v ? int.Parse(v) : fallback;

static byte[] TwentyBytes(int value)
{
    var bytes = new byte[20];
    BitConverter.TryWriteBytes(bytes, value);
    return bytes;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task WaitForRedisAsync(int port)
{
    for (var i = 0; i < 200; i++)
    {
        if ((await Cli(port, "PING")).Trim() == "PONG")
        {
            return;
        }

        await Task.Delay(50);
    }

    throw new InvalidOperationException("redis-server did not answer PING");
}

static async Task<string> Cli(int port, params string[] arguments)
{
    using var cli = Process.Start(new ProcessStartInfo("redis-cli", ["-p", port.ToString(), .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    var output = await cli.StandardOutput.ReadToEndAsync();
    await cli.WaitForExitAsync();
    return output;
}

static string RedisVersion()
{
    using var p = Process.Start(new ProcessStartInfo("redis-server", ["--version"]) { RedirectStandardOutput = true })!;
    return p.StandardOutput.ReadToEnd().Trim();
}
