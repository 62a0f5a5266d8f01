using System.Diagnostics;
using System.Net;
using Gateway.Core.Bencode;
using Gateway.Core.Catalog;
using Gateway.Delivery;
using Gateway.Delivery.Load;
using Gateway.Feedback.Server;
using Gateway.Feedback.Tracker;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// The shipped defaults, nothing about intervals or ages overridden, with the tracker in the gateway: a keyed volunteer
/// that announces as the reply tells it (as aria2 does: every <c>min interval</c>) has a fresh report at every pick.
/// Real time over two volunteer intervals (about 65 s): a fake clock would not show that the defaults fit together.
/// </summary>
public sealed class DefaultFeedbackFreshnessTests
{
    private const string FilePath = "iso/disk.iso";
    private const string Key = "v1-key-0123456789abcdef";

    [Fact]
    public async Task Under_the_default_settings_a_volunteer_following_the_replys_interval_is_never_unknown()
    {
        using var repository = new TestRepository();
        repository.Add(FilePath, 6 * 1024 * 1024);
        await repository.PublishAsync();
        await using var stream = File.OpenRead(repository.ManifestPath);
        var manifest = await ManifestReader.ReadAsync(stream, CancellationToken.None);
        var torrent = manifest.Torrents!.Single(t => t.SingleFile && t.Files.Contains(FilePath));
        var v1 = await TestVolunteer.StartAsync("v1", repository.MirrorFolder("v1", [FilePath])); // the gateway bed disposes it

        // Only ports (loopback, any free one) and the key: intervals and ages are the shipped defaults.
        await using var gateway = await GatewayUnderTest.StartAsync(
            repository,
            [v1],
            "--Tracker:Enabled=true",
            "--Tracker:Urls=http://127.0.0.1:0",
            "--Tracker:UdpPort=-1",
            $"--Volunteers:0:Key={Key}");
        var maxAge = gateway.App.Services.GetRequiredService<IOptions<SelectionOptions>>().Value.FeedbackMaxAge;
        var volunteerInterval = gateway.App.Services.GetRequiredService<IOptions<TrackerOptions>>().Value.VolunteerInterval;
        Assert.Equal((TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(30)), (maxAge, volunteerInterval));

        var tracker = gateway.App.Services.GetRequiredService<TrackerServer>().HttpUrl!.ToString().TrimEnd('/');
        var announce = $"{tracker}/announce/{Key}?info_hash={TrackerTestBed.PercentEncode(Convert.FromHexString(torrent.InfoHash))}"
            + "&peer_id=-GW0001-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=0&compact=1&x_http=1";
        using var stop = new CancellationTokenSource();
        var told = new List<(long Interval, long MinInterval)>();
        var announcer = AnnounceAsReplyTellsAsync(gateway.Client, announce, told, stop.Token);

        var estimator = gateway.App.Services.GetRequiredService<LoadEstimator>();
        await Eventually.HoldsAsync(() => estimator.ReportedLoad("v1", out _) is not null, TimeSpan.FromSeconds(10), () => "no report from the first announce");

        var oldest = TimeSpan.Zero;
        var picks = 0;
        var span = Stopwatch.StartNew();
        while (span.Elapsed < volunteerInterval * 2 + TimeSpan.FromSeconds(5))
        {
            using var response = await gateway.Client.GetAsync(FilePath);
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            Assert.Equal(v1.Port, response.Headers.Location!.Port);
            var reported = estimator.ReportedLoad("v1", out var at);
            Assert.True(reported is not null, $"v1's report is unknown at {span.Elapsed} after {told.Count} announces");
            var age = DateTimeOffset.UtcNow - at;
            Assert.True(age < maxAge, $"report age {age} at {span.Elapsed}");
            oldest = age > oldest ? age : oldest;
            picks++;
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        await stop.CancelAsync();
        await announcer;

        // The reply told the volunteer 30 s, and it followed: no report was older than one interval and a little.
        Assert.All(told, t => Assert.Equal((30L, 30L), t));
        Assert.True(told.Count >= 3, $"{told.Count} announces in {span.Elapsed}");
        Assert.True(oldest < volunteerInterval + TimeSpan.FromSeconds(5), $"oldest report at a pick: {oldest} ({picks} picks)");
    }

    /// <summary>Announces, then waits what the reply says before the next one (the shorter of interval and min interval, as aria2 does).</summary>
    private static async Task AnnounceAsReplyTellsAsync(HttpClient client, string url, List<(long, long)> told, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var reply = (BencodeDictionary)BencodeDecoder.Decode(await client.GetByteArrayAsync(url, cancellationToken));
                Assert.False(reply.TryGetValue("failure reason"u8, out var failure), $"announce failed: {failure}");
                var interval = reply.Get<BencodeInteger>("interval"u8)!.Value;
                var minInterval = reply.Get<BencodeInteger>("min interval"u8)!.Value;
                lock (told)
                {
                    told.Add((interval, minInterval));
                }

                await Task.Delay(TimeSpan.FromSeconds(Math.Min(interval, minInterval)), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The test's span is over.
        }
    }
}
