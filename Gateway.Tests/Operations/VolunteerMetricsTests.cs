using System.Text.Json;
using Gateway.Agent;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Operations;

/// <summary>The volunteer agent's own metrics, scraped by a real Prometheus from a real agent driving a real aria2c.</summary>
public sealed class VolunteerMetricsTests : IDisposable
{
    private const string ShippedGatewayTargets = "      - targets:\n          - gateway-a:8080\n          - gateway-b:8080\n";
    private const string ShippedVolunteerTargets = "      - targets:\n          - volunteer-1:9470\n          - volunteer-2:9470\n          - volunteer-3:9470\n";
    private readonly TestRepository _repository = new();

    [Fact]
    public async Task A_real_prometheus_scraping_an_agent_and_its_tracker_answers_every_volunteer_and_tracker_query()
    {
        var original = _repository.Add("pool/main/a/apt_1.deb", 40_000);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")], startNow: []);
        var agent = await bed.StartAgentAsync("v1", "--Volunteer:MetricsListen=http://127.0.0.1:0");
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["v1"], TimeSpan.FromSeconds(60));
        var metricsUrl = agent.App.Services.GetRequiredService<AgentEndpoints>().MetricsUrl!;
        var served0 = await bed.Gateway.Client.GetByteArrayAsync(new Uri(agent.Url, "pool/main/a/apt_1.deb"));
        Assert.Equal(original, served0);

        // What a scrape sees, checked by Prometheus' own linter too.
        var exposition = await bed.Gateway.Client.GetStringAsync(new Uri(agent.ControlUrl, "metrics"));
        Assert.Contains("volunteer_customer_requests_total{", exposition, StringComparison.Ordinal);
        var file = Path.Combine(_repository.Root, "agent-metrics.txt");
        await File.WriteAllTextAsync(file, exposition);
        var lint = await CommandLine.RunAsync("sh", ["-c", $"promtool check metrics < '{file}'"]);
        Assert.True(lint.ExitCode == 0, lint.Stdout + lint.Stderr + "\n" + exposition);

        // The customers' listener never serves the metrics; the metrics listener serves nothing else.
        using (var onPublic = await bed.Gateway.Client.GetAsync(new Uri(agent.Url, "metrics")))
        {
            Assert.DoesNotContain("volunteer_healthy", await onPublic.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var fileOnMetrics = await bed.Gateway.Client.GetAsync(new Uri(metricsUrl, "pool/main/a/apt_1.deb")))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, fileOnMetrics.StatusCode);
        }

        // The gateway hosts the tracker the agent announces to: its tracker panels are checked here too.
        await using var prometheus = await PrometheusServer.StartAsync(AdaptedScrapeConfig(metricsUrl, new Uri(bed.Gateway.Url)));
        var queries = DashboardQueries("config/grafana/volunteer-dashboard.json", _ => true)
            .Concat(DashboardQueries("config/grafana/gateway-dashboard.json", q => q.Contains("tracker_", StringComparison.Ordinal)));
        await prometheus.AllHaveDataAsync(queries, TimeSpan.FromSeconds(60));

        // The served file counts: the agent's own request counter moved.
        var served = await prometheus.QueryAsync("volunteer_customer_requests_total{outcome=\"served\"}");
        Assert.True(double.Parse(served[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 1, served[0].ToString());
    }

    public void Dispose() => _repository.Dispose();

    /// <summary>The shipped scrape config with the agent's control port as the volunteer job's only target.</summary>
    private static string AdaptedScrapeConfig(Uri agentControl, Uri gateway)
    {
        var shipped = File.ReadAllText(RepositoryFiles.PathOf("config/prometheus.yml"));
        var adapted = shipped
            .Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("evaluation_interval: 15s", "evaluation_interval: 1s", StringComparison.Ordinal)
            .Replace("rule_files:\n  - alerts.yml\n", string.Empty, StringComparison.Ordinal)
            .Replace(ShippedVolunteerTargets, $"      - targets:\n          - {agentControl.Authority}\n", StringComparison.Ordinal)
            .Replace(ShippedGatewayTargets, $"      - targets:\n          - {gateway.Authority}\n", StringComparison.Ordinal);
        Assert.True(adapted.Contains(agentControl.Authority, StringComparison.Ordinal) && adapted.Contains(gateway.Authority, StringComparison.Ordinal), "config/prometheus.yml changed shape; adapt this test:\n" + shipped);
        return adapted;
    }

    private static string[] DashboardQueries(string file, Func<string, bool> which)
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.PathOf(file)));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!.Replace("$__rate_interval", "10s", StringComparison.Ordinal))
            .Where(which)
            .ToArray();
        Assert.True(queries.Length >= 3, $"only {queries.Length} queries taken from {file}");
        return queries;
    }
}
