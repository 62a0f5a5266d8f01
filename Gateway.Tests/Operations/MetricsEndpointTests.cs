using Gateway.State;
using Gateway.Tests.EndToEnd;
using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.Operations;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Counts_proxied_and_origin_requests_by_mode_outcome_and_volunteer_with_their_bytes_by_source()
    {
        await using var s = await StartAsync("--Gateway:Mode=Proxy", "--Health:PassiveEnabled=false");
        await s.Gateway.HoldAsync("v1", Big);
        await Get(s, Big);
        await Get(s, Unheld);
        await Get(s, Release);
        using (var head = new HttpRequestMessage(HttpMethod.Head, Big))
        {
            using var response = await s.Gateway.Client.SendAsync(head);
            response.EnsureSuccessStatusCode();
        }

        var originBytes = s.Repository.Read(Unheld).Length + s.Repository.Read(Release).Length;
        await ScrapeUntilAsync(s.Gateway, m =>
            m.Sum("gateway_requests_total", ("mode", "proxy"), ("outcome", "proxied"), ("volunteer", "v1")) == 2
            && m.Sum("gateway_requests_total", ("mode", "proxy"), ("outcome", "origin"), ("volunteer", "none")) == 2
            && m.Sum("gateway_delivered_bytes_total", ("source", "volunteer"), ("mode", "proxy"), ("volunteer", "v1")) == 300_000
            && m.Sum("gateway_delivered_bytes_total", ("source", "origin"), ("mode", "proxy")) == originBytes
            && m.Sum("gateway_selection_duration_seconds_count") == 2
            && m.Sum("http_server_request_duration_seconds_count", ("gateway_mode", "proxy"), ("gateway_outcome", "proxied")) == 2);
    }

    [Fact]
    public async Task Counts_a_redirected_file_at_its_catalog_size_as_volunteer_bytes_and_a_rejected_path_without_a_mode()
    {
        await using var s = await StartAsync("--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0");
        await s.Gateway.HoldAsync("v2", Big);
        using (var response = await s.Gateway.Client.GetAsync(Big))
        {
            Assert.Equal(System.Net.HttpStatusCode.Found, response.StatusCode);
        }

        var hostile = await CommandLine.CurlAsync("--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", s.Url("pool/%2e%2e/%2e%2e/etc/passwd"));
        Assert.Equal("400", hostile.Stdout);

        await ScrapeUntilAsync(s.Gateway, m =>
            m.Sum("gateway_requests_total", ("mode", "redirect"), ("outcome", "redirected"), ("volunteer", "v2")) == 1
            && m.Sum("gateway_requests_total", ("mode", "none"), ("outcome", "rejected")) == 1
            && m.Sum("gateway_delivered_bytes_total", ("source", "volunteer"), ("mode", "redirect"), ("volunteer", "v2")) == 300_000
            && m.Sum("gateway_delivered_bytes_total", ("source", "origin")) == 0);
    }

    [Fact]
    public async Task Reports_each_volunteers_state_the_catalog_and_the_swarm_view_as_gauges()
    {
        await using var s = await StartAsync("--Gateway:Mode=Redirect", "--Volunteers:2:Weight=3");
        await s.Gateway.Store.ReportLoadAsync("v1", new LoadReport(4, 2, 0, 0, 0, DateTimeOffset.UtcNow.AddSeconds(-5)), CancellationToken.None);
        await ScrapeUntilAsync(s.Gateway, m =>
            m.Sum("gateway_volunteer_available") == 3
            && m.Sum("gateway_volunteer_weight", ("volunteer", "v3")) == 3
            && m.Sum("gateway_volunteer_load", ("volunteer", "v1")) == 4
            && m.Sum("gateway_volunteer_load", ("volunteer", "v2")) == 0
            && m.Sum("gateway_volunteer_feedback_age_seconds", ("volunteer", "v1")) >= 5
            && !m.Any(x => x.Name == "gateway_volunteer_feedback_age_seconds" && x.Has(("volunteer", "v2")))
            && m.Sum("gateway_volunteer_health", ("volunteer", "v1"), ("check", "active"), ("state", "unknown")) == 1
            && m.Sum("gateway_catalog_loaded") == 1
            && m.Sum("gateway_catalog_files") == 5
            && m.Any(x => x.Name == "gateway_catalog_info" && x.Labels.ContainsKey("version"))
            && m.Sum("gateway_store_reachable") == 1
            && m.Any(x => x.Name == "gateway_swarm_view_staleness_seconds"));
    }

    [Fact]
    public async Task Promtool_accepts_the_metrics_endpoint_output()
    {
        await using var s = await StartAsync("--Gateway:Mode=Redirect");
        await s.Gateway.HoldAsync("v1", Big);
        await Get(s, Big);
        await Get(s, Release);
        var text = await s.Gateway.Client.GetStringAsync("/metrics");
        var file = Path.Combine(s.Repository.Root, "metrics.txt");
        await File.WriteAllTextAsync(file, text);
        var check = await CommandLine.RunAsync("sh", ["-c", $"promtool check metrics < '{file}'"]);
        Assert.True(check.ExitCode == 0, $"promtool check metrics failed ({check.ExitCode}): {check.Stdout}{check.Stderr}");
    }

    private static async Task Get(DownloadScenario s, string path)
    {
        using var response = await s.Gateway.Client.GetAsync(path);
        Assert.True((int)response.StatusCode < 400, $"{path}: {response.StatusCode}");
        await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>Scrapes /metrics until the condition holds (the exporter caches a scrape briefly, and counters are added as responses complete).</summary>
    internal static async Task<IReadOnlyList<PrometheusSample>> ScrapeUntilAsync(GatewayUnderTest gateway, Func<IReadOnlyList<PrometheusSample>, bool> condition)
    {
        var text = string.Empty;
        IReadOnlyList<PrometheusSample> samples = [];
        await Eventually.HoldsAsync(
            async () =>
            {
                text = await gateway.Client.GetStringAsync("/metrics");
                samples = PrometheusText.Parse(text);
                return condition(samples);
            },
            TimeSpan.FromSeconds(10),
            () => text.Length < 4000 ? text : string.Join('\n', text.Split('\n').Where(l => l.StartsWith("gateway_", StringComparison.Ordinal) || l.StartsWith("http_server_request_duration_seconds_count", StringComparison.Ordinal))));
        return samples;
    }
}
