using System.Globalization;
using System.Security.Cryptography;
using Gateway.Core.Catalog;
using Gateway.Demo;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Gateway.Tests.EndToEnd;

public sealed class DemoTests
{
    [Fact]
    public async Task The_demo_serves_every_sample_file_with_its_published_bytes()
    {
        var data = Path.Combine(Path.GetTempPath(), "gw-tests", "demo-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var demo = await DemoEnvironment.StartAsync(data, 0, TextWriter.Null, CancellationToken.None);
            var description = DemoCommand.Describe(demo);
            Assert.Contains("curl", description, StringComparison.Ordinal);

            var catalog = demo.Gateway.Services.GetRequiredService<CatalogState>().Current;
            Assert.Equal(SampleRepository.SmallFiles + SampleRepository.MediumFiles + SampleRepository.LargeFiles + SampleRepository.Duplicates + 2, catalog.Count);
            using var client = new HttpClient();
            var redirected = 0;
            foreach (var entry in catalog.Entries.Where((_, i) => i % 10 == 0))
            {
                var output = Path.Combine(data, "download.out");
                var curl = await CommandLine.CurlAsync("-L", "-o", output, "-w", "%{num_redirects}", new Uri(demo.GatewayUrl, entry.EscapedPath).ToString());
                redirected += curl.Stdout == "1" ? 1 : 0;
                Assert.Equal(entry.Sha256, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(output))));
            }

            Assert.True(redirected > 0, "no sample file was redirected to a volunteer");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}

/// <summary>The demo with its built-in volunteers (what a machine without aria2c runs): load on announces, the policy steering, the status page.</summary>
public sealed class DemoBuiltInVolunteerTests(DemoBuiltInVolunteerTests.RunningDemo running) : IClassFixture<DemoBuiltInVolunteerTests.RunningDemo>
{
    [Fact]
    public async Task The_built_in_volunteers_announce_their_load_every_few_seconds()
    {
        var demo = running.Demo;
        Assert.False(demo.RealAgents);

        // Longer than one announce interval after the start: a report this young came from a later announce.
        await Task.Delay(DemoAnnouncer.Interval + TimeSpan.FromSeconds(1));
        var status = DemoStatusPage.Read(demo.Gateway.Services, demo, demo.Requests);
        Assert.Equal(["v1", "v2", "v3"], status.Volunteers.Select(v => v.Id));
        foreach (var row in status.Volunteers)
        {
            Assert.NotNull(row.ReportedLoad);
            Assert.InRange(row.ReportAgeSeconds!.Value, 0, DemoAnnouncer.Interval.TotalSeconds + 1);
            Assert.True(row.FilesHeld > 250, $"{row.Id} holds {row.FilesHeld} files by the tracker");
            Assert.Equal("healthy", row.Health);
        }

        // v3's announces carry BitTorrent sync at 70 % of its uplink: more load than an idle volunteer's.
        Assert.True(status.Volunteers[2].ReportedLoad >= 2, $"v3 reported {status.Volunteers[2].ReportedLoad}");
        Assert.Equal(demo.TrackerUrl.ToString(), status.Tracker);
        Assert.Contains($"Tracker   {demo.TrackerUrl}", DemoCommand.Describe(demo), StringComparison.Ordinal);
        Assert.Contains($"Status    {demo.StatusUrl}", DemoCommand.Describe(demo), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_traffic_the_syncing_volunteer_receives_fewer_requests_than_the_others()
    {
        var demo = running.Demo;
        var served = demo.Volunteers.ToDictionary(v => v.Id, v => Served(demo, v.Id));
        using var output = new StringWriter();
        var result = await DemoTraffic.RunAsync(demo, 10, output, CancellationToken.None);

        Assert.Equal(0, result.Failed);
        Assert.True(result.Completed > 20, output.ToString());
        var during = demo.Volunteers.ToDictionary(v => v.Id, v => Served(demo, v.Id) - served[v.Id]);
        Assert.True(during["v3"] < during["v1"] && during["v3"] < during["v2"], output.ToString());
        foreach (var id in new[] { "v1", "v2", "v3" })
        {
            Assert.Contains($"  {id,-3} {during[id],6} requests", output.ToString(), StringComparison.Ordinal);
        }

        Assert.True(demo.Requests.LastMinute("v1") > 0);
    }

    [Fact]
    public async Task The_status_page_shows_each_volunteer_with_a_fresh_load_report_in_a_browser()
    {
        var demo = running.Demo;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();
        var response = await page.GotoAsync(demo.StatusUrl.ToString());
        Assert.Equal(200, response!.Status);
        foreach (var id in new[] { "v1", "v2", "v3" })
        {
            var row = page.Locator($"tr[data-volunteer='{id}']");
            await row.WaitForAsync();
            Assert.Equal("healthy", await row.Locator("td.health").InnerTextAsync());
            Assert.True(int.Parse(await row.Locator("td.held").InnerTextAsync(), CultureInfo.InvariantCulture) > 250);
            var age = await row.Locator("td.age").InnerTextAsync();
            Assert.EndsWith(" s", age, StringComparison.Ordinal);
            Assert.InRange(double.Parse(age[..^2], CultureInfo.InvariantCulture), 0, DemoAnnouncer.Interval.TotalSeconds + 2);
        }

        Assert.Equal(demo.TrackerUrl.ToString(), await page.Locator("#tracker").InnerTextAsync());
    }

    private static long Served(DemoEnvironment demo, string id) => demo.Requests.Total(id, "redirected") + demo.Requests.Total(id, "proxied");

    /// <summary>One demo with built-in volunteers for the class: generating and publishing the sample takes seconds.</summary>
    public sealed class RunningDemo : IAsyncLifetime
    {
        private readonly string _data = Path.Combine(Path.GetTempPath(), "gw-tests", "demo-builtin-" + Guid.NewGuid().ToString("N"));
        private DemoEnvironment? _demo;

        public DemoEnvironment Demo => _demo!;

        public async Task InitializeAsync() => _demo = await DemoEnvironment.StartAsync(_data, 0, TextWriter.Null, builtInVolunteers: true, CancellationToken.None);

        public async Task DisposeAsync()
        {
            if (_demo is not null)
            {
                await _demo.DisposeAsync();
            }

            Directory.Delete(_data, recursive: true);
        }
    }
}
