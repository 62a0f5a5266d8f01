using System.Net;
using System.Net.Sockets;
using Gateway.Core.Catalog;
using Gateway.Core.Torrents;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Operations;

/// <summary>The standalone <c>tracker</c> process's Prometheus listener (<c>Tracker:MetricsUrl</c>).</summary>
public sealed class TrackerMetricsEndpointTests : IDisposable
{
    private const string File = "iso/disk.iso";
    private readonly TestRepository _repository = new();

    [Fact]
    public async Task A_standalone_tracker_exports_its_announces_at_its_metrics_url_in_a_format_promtool_accepts()
    {
        _repository.Add(File, 1024 * 1024);
        await _repository.PublishAsync();
        InfoHash torrent;
        await using (var stream = System.IO.File.OpenRead(_repository.ManifestPath))
        {
            var manifest = await ManifestReader.ReadAsync(stream, CancellationToken.None);
            torrent = InfoHash.Parse(manifest.Torrents!.Single(t => t.Files.Contains(File)).InfoHash);
        }

        var metricsUrl = $"http://127.0.0.1:{FreeLoopbackPort()}";
        await using var tracker = await GatewayProcess.TrackerAsync(
            $"--Catalog:Source={_repository.ManifestPath}", "--Tracker:RateLimitPerSecond=0", $"--Tracker:MetricsUrl={metricsUrl}");
        using var client = new HttpClient();
        var hash = TrackerTestBed.PercentEncode(torrent.ToArray());
        await client.GetByteArrayAsync(new Uri(tracker.Url, $"announce?info_hash={hash}&peer_id=-XX0001-012345678901&port=6881&uploaded=0&downloaded=0&left=5&compact=1"));
        await client.GetByteArrayAsync(new Uri(tracker.Url, $"announce?info_hash={TrackerTestBed.PercentEncode(new byte[20])}&peer_id=-XX0001-012345678901&port=6881&uploaded=0&downloaded=0&left=5&compact=1"));

        var exposition = await client.GetStringAsync(metricsUrl + "/metrics");
        Assert.Matches(@"(?m)^tracker_announces_total\{[^}]*protocol=""http""[^}]*result=""ok""[^}]*\} 1( |$)", exposition);
        Assert.Matches(@"(?m)^tracker_announces_total\{[^}]*result=""unknown_torrent""[^}]*\} 1( |$)", exposition);
        Assert.Matches(@"(?m)^tracker_peers\{[^}]*keyed=""false""[^}]*role=""leecher""[^}]*\} 1( |$)", exposition);
        var file = Path.Combine(_repository.Root, "tracker-metrics.txt");
        await System.IO.File.WriteAllTextAsync(file, exposition);
        var lint = await CommandLine.RunAsync("sh", ["-c", $"promtool check metrics < '{file}'"]);
        Assert.True(lint.ExitCode == 0, lint.Stdout + lint.Stderr + "\n" + exposition);

        // The metrics listener serves nothing else, and the tracker port does not serve the metrics.
        using var other = await client.GetAsync(metricsUrl + "/announce");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using var onTracker = await client.GetAsync(new Uri(tracker.Url, "metrics"));
        Assert.Equal(HttpStatusCode.NotFound, onTracker.StatusCode);
    }

    public void Dispose() => _repository.Dispose();

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
