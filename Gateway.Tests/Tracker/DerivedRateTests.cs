using System.Globalization;
using System.Text.Json;
using Gateway.State.Views;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Tracker;

/// <summary>For a client that reports no load, the tracker's rate from counter deltas matches what the client itself measures.</summary>
public sealed class DerivedRateTests : IAsyncLifetime
{
    private static readonly object[] UploadSpeedOnly = [new[] { "uploadSpeed" }];
    private TrackerTestBed _bed = null!;

    public async Task InitializeAsync() => _bed = await TrackerTestBed.StartAsync(fileSize: 24 * 1024 * 1024);

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task The_upload_rate_derived_from_uploaded_deltas_matches_the_rate_aria2_reports()
    {
        var rpcPort = TestPorts.Tcp();
        var seeder = _bed.Track(BitTorrentClient.Aria2(
            _bed.TorrentFile,
            TrackerTestBed.SeedFolder(Path.Combine(_bed.Repository.Root, "v1")),
            $"{_bed.HttpUrl}/announce/{TrackerTestBed.V1Key}",
            seed: true,
            rpcPort: rpcPort,
            uploadLimit: "1M"));
        await _bed.SeedersBecomeAsync(1);
        var leecher = _bed.Track(BitTorrentClient.Aria2(_bed.TorrentFile, _bed.NewFolder("leecher"), _bed.HttpUrl + "/announce", seed: false));

        // Sample aria2's own upload speed while the tracker's reports come in (every 2 s announce interval).
        var view = _bed.Gateway.App.Services.GetRequiredService<HoldingsView>();
        var aria2Speeds = new List<long>();
        var derived = new List<long>();
        var lastReport = DateTimeOffset.MinValue;
        using var rpc = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{rpcPort}/") };
        await Eventually.HoldsAsync(
            async () =>
            {
                // aria2's speed is a decaying sliding-window figure: sample it once the upload is under way.
                var speed = await UploadSpeedAsync(rpc);
                if (speed > 0 && derived.Count > 0)
                {
                    aria2Speeds.Add(speed);
                }

                if (view.TryGetLoad("v1", out var report) && report.ReportedAt > lastReport && report.UploadBytesPerSecond > 0)
                {
                    lastReport = report.ReportedAt;
                    derived.Add(report.UploadBytesPerSecond);
                }

                // Four reports measured over full intervals of steady upload, after two of ramp-up.
                return derived.Count >= 6 || leecher.HasExited;
            },
            TimeSpan.FromSeconds(60),
            () => $"aria2 speeds [{string.Join(", ", aria2Speeds)}], derived [{string.Join(", ", derived)}]\n{seeder.Output}");

        Assert.True(derived.Count >= 4 && aria2Speeds.Count >= 2, $"too few samples: aria2 [{string.Join(", ", aria2Speeds)}], derived [{string.Join(", ", derived)}]");

        // The first reports cover the start (an interval that began before the upload did, and aria2's initial
        // burst above its limit): compare the later ones, median against median, since both sides fluctuate
        // around aria2's upload limit and announce times jitter on a busy machine.
        var tracker = Median(derived.Skip(2));
        var client = Median(aria2Speeds);
        Assert.True(
            Math.Abs(tracker - client) <= 0.35 * client,
            $"derived {tracker:F0} B/s vs aria2 {client:F0} B/s: aria2 [{string.Join(", ", aria2Speeds)}], derived [{string.Join(", ", derived)}]");
    }

    private static double Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2.0;
    }

    private static async Task<long> UploadSpeedAsync(HttpClient rpc)
    {
        // A body with Content-Length: aria2's RPC server does not read chunked requests.
        using var content = new StringContent(JsonSerializer.Serialize(new { jsonrpc = "2.0", id = "1", method = "aria2.tellActive", @params = UploadSpeedOnly }));
        using var response = await rpc.PostAsync("jsonrpc", content);
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        if (!json.RootElement.TryGetProperty("result", out var result))
        {
            throw new InvalidOperationException($"aria2.tellActive answered {body}");
        }

        return result.EnumerateArray()
            .Sum(d => long.Parse(d.GetProperty("uploadSpeed").GetString()!, CultureInfo.InvariantCulture));
    }
}
