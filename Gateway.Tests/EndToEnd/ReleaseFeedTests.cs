using System.Net.ServerSentEvents;
using Gateway.Cli;
using Gateway.Core.Catalog;
using Gateway.Delivery.Releases;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// The gateway's release feed: <c>publish --notify</c> makes it load the new manifest at once (its reload interval is
/// ten minutes here), and the Server-Sent Events stream names each version as it comes.
/// </summary>
public sealed class ReleaseFeedTests
{
    [Fact]
    public async Task Publish_notify_makes_the_gateway_load_the_release_now_and_the_feed_names_each_version()
    {
        using var repository = new TestRepository();
        repository.Add("pool/main/a/app_1.0_all.deb", 10_000);
        await repository.PublishAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(repository, [], "--Catalog:ReloadInterval=00:10:00", "--Gateway:ReleaseFeedKeepAlive=00:00:01");
        var catalog = gateway.App.Services.GetRequiredService<CatalogState>();
        var first = catalog.Current.Version;

        using var client = new HttpClient { BaseAddress = new Uri(gateway.Url), Timeout = Timeout.InfiniteTimeSpan };
        using var feed = await client.GetAsync(ReleaseFeedEndpoints.Path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", feed.Content.Headers.ContentType?.MediaType);
        using var reading = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var events = SseParser.Create(await feed.Content.ReadAsStreamAsync()).EnumerateAsync(reading.Token).GetAsyncEnumerator(reading.Token);
        Assert.Equal((ReleaseFeedEndpoints.CatalogEvent, first), await NextCatalogAsync(events));

        // A release, and publish's notification: the gateway loads it now, not in ten minutes.
        repository.Add("iso/release-2.iso", 50_000);
        var run = await RunAsync($"publish {repository.Folder} --out {repository.ManifestPath} --torrents off --notify {gateway.Url}{ReleaseFeedEndpoints.Path}");
        Assert.True(run.ExitCode == 0, run.Errors);
        Assert.Contains("Notified", run.Output, StringComparison.Ordinal);

        var (kind, second) = await NextCatalogAsync(events);
        Assert.Equal(ReleaseFeedEndpoints.CatalogEvent, kind);
        Assert.NotEqual(first, second);
        Assert.Equal(second, catalog.Current.Version);
        Assert.NotNull(catalog.Current.Find("iso/release-2.iso"));
    }

    [Fact]
    public async Task A_notification_the_gateway_cannot_take_is_named_and_publish_still_succeeds()
    {
        using var repository = new TestRepository();
        repository.Add("pool/main/a/app_1.0_all.deb", 10_000);
        var refused = $"http://127.0.0.1:{TestPorts.Tcp()}{ReleaseFeedEndpoints.Path}";
        var run = await RunAsync($"publish {repository.Folder} --out {repository.ManifestPath} --torrents off --notify {refused}");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"could not notify {refused}", run.Errors, StringComparison.Ordinal);
        Assert.True(File.Exists(repository.ManifestPath));

        var bad = await RunAsync($"publish {repository.Folder} --notify not-a-url");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--notify 'not-a-url'", bad.Errors, StringComparison.Ordinal);
    }

    /// <summary>The next catalog event, skipping keep-alives (one arrives every second here).</summary>
    private static async Task<(string Kind, string Data)> NextCatalogAsync(IAsyncEnumerator<SseItem<string>> events)
    {
        while (await events.MoveNextAsync())
        {
            if (events.Current.EventType != ReleaseFeedEndpoints.KeepAliveEvent)
            {
                return (events.Current.EventType, events.Current.Data);
            }
        }

        throw new InvalidOperationException("the feed ended");
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string commandLine)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var exit = await GatewayCommands.RunAsync(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries), output, errors, timeout.Token);
        return (exit, output.ToString(), errors.ToString());
    }
}
