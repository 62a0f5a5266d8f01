using System.Text.Json;
using Gateway.State;
using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.Operations;

public sealed class PrometheusTests
{
    private const string ShippedTargets = "      - targets:\n          - gateway-a:8080\n          - gateway-b:8080\n";

    [Fact]
    public async Task A_real_prometheus_scraping_a_gateway_under_load_answers_every_dashboard_and_alert_query()
    {
        await using var s = await StartAsync(
            "--Gateway:Mode=Redirect", "--Gateway:Routes:0:PathPrefix=/iso/", "--Gateway:Routes:0:Mode=Proxy",
            "--Health:ActiveEnabled=true", "--Health:PassiveEnabled=false", "--Selection:Seed=5");
        await s.Gateway.HoldAsync("v1", Big, Image, Small);
        await s.Gateway.HoldAsync("v2", Big);
        await s.Gateway.HoldAsync("v3", Image);
        s.Gateway["v3"].Behavior = VolunteerBehavior.Fail500;
        await s.Gateway.Store.ReportLoadAsync("v1", new LoadReport(2, 5, 1000, 0, 100_000, DateTimeOffset.UtcNow), CancellationToken.None);

        await using var prometheus = await PrometheusServer.StartAsync(AdaptedScrapeConfig(new Uri(s.Gateway.Url)), new Dictionary<string, string>
        {
            ["alerts.yml"] = await File.ReadAllTextAsync(RepositoryFiles.PathOf("config/alerts.yml")),
        });

        // A short, bounded load: one round of downloads per poll (redirected, proxied with failovers, small,
        // metadata, unheld) until every dashboard query has data; Prometheus scrapes every second.
        var failedOver = false;
        await prometheus.AllHaveDataAsync(
            DashboardQueries(),
            TimeSpan.FromSeconds(60),
            async () =>
            {
                // v3 fails with 500s until a failover was scraped, then tampers: the proxy catches it and quarantines v3.
                if (!failedOver && (await prometheus.QueryAsync("gateway_proxy_failovers_total")).Length > 0)
                {
                    failedOver = true;
                    s.Gateway["v3"].Behavior = VolunteerBehavior.FlipByte;
                }

                foreach (var path in new[] { Big, Image, Small, Release, Unheld })
                {
                    using var response = await s.Gateway.Client.GetAsync(path);
                    await response.Content.ReadAsByteArrayAsync();
                }
            });

        // Every shipped rule was loaded by Prometheus, evaluates without error, and its query is valid
        // (empty is right for an alert whose condition does not hold).
        using (var rules = await prometheus.GetJsonAsync("api/v1/rules"))
        {
            var loaded = rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .Select(r => (Name: r.GetProperty("name").GetString()!, Query: r.GetProperty("query").GetString()!, Health: r.GetProperty("health").GetString()))
                .ToArray();
            Assert.Equal(17, loaded.Length);
            foreach (var rule in loaded)
            {
                await prometheus.QueryAsync(rule.Query);
            }

            await Eventually.HoldsAsync(
                async () =>
                {
                    using var again = await prometheus.GetJsonAsync("api/v1/rules");
                    return again.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
                        .SelectMany(g => g.GetProperty("rules").EnumerateArray())
                        .All(r => r.GetProperty("health").GetString() == "ok");
                },
                TimeSpan.FromSeconds(10),
                () => string.Join(", ", loaded.Select(r => $"{r.Name}: {r.Health}")));
        }

        // Events the rules watch for: the tamperer shows up in the quarantine alert's query, and a volunteer going
        // down in the VolunteerDown alert's query.
        var quarantined = await prometheus.QueryAsync(await RuleQueryAsync(prometheus, "GatewayVolunteerQuarantined"));
        Assert.Equal("v3", Assert.Single(quarantined).GetProperty("metric").GetProperty("volunteer").GetString());

        var volunteerDown = await RuleQueryAsync(prometheus, "GatewayVolunteerDown");
        Assert.DoesNotContain(await prometheus.QueryAsync(volunteerDown), d => d.GetProperty("metric").GetProperty("volunteer").GetString() != "v3");
        await s.Gateway["v2"].StopAsync();
        JsonElement[] down = [];
        await Eventually.HoldsAsync(
            async () =>
            {
                down = await prometheus.QueryAsync(volunteerDown);
                return down.Any(d => d.GetProperty("metric").GetProperty("volunteer").GetString() == "v2");
            },
            TimeSpan.FromSeconds(20),
            () => string.Join(", ", down.Select(d => d.ToString())));
    }

    [Fact]
    public async Task Promtool_accepts_the_shipped_rules_and_scrape_config()
    {
        var rules = await CommandLine.RunAsync("promtool", ["check", "rules", RepositoryFiles.PathOf("config/alerts.yml")]);
        Assert.True(rules.ExitCode == 0, rules.Stdout + rules.Stderr);
        var config = await CommandLine.RunAsync("promtool", ["check", "config", RepositoryFiles.PathOf("config/prometheus.yml")]);
        Assert.True(config.ExitCode == 0, config.Stdout + config.Stderr);
    }

    /// <summary>The shipped scrape config with the test gateway as the only target and one-second intervals.</summary>
    private static string AdaptedScrapeConfig(Uri gateway)
    {
        var shipped = File.ReadAllText(RepositoryFiles.PathOf("config/prometheus.yml"));
        var adapted = shipped
            .Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("evaluation_interval: 15s", "evaluation_interval: 1s", StringComparison.Ordinal)
            .Replace(ShippedTargets, $"      - targets:\n          - {gateway.Authority}\n", StringComparison.Ordinal);
        Assert.True(adapted.Contains(gateway.Authority, StringComparison.Ordinal) && adapted.Contains("scrape_interval: 1s", StringComparison.Ordinal), "config/prometheus.yml changed shape; adapt this test:\n" + shipped);
        return adapted;
    }

    /// <summary>Every PromQL expression of the shipped Grafana dashboard, with Grafana's range variable filled in.</summary>
    private static string[] DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.PathOf("config/grafana/gateway-dashboard.json")));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!.Replace("$__rate_interval", "10s", StringComparison.Ordinal))

            // The tracker's panels get their data from a gateway with real announcing agents (VolunteerMetricsTests).
            .Where(q => !q.Contains("tracker_", StringComparison.Ordinal))
            .ToArray();
        Assert.True(queries.Length >= 10, $"only {queries.Length} queries in the dashboard");
        return queries;
    }

    private static async Task<string> RuleQueryAsync(PrometheusServer prometheus, string name)
    {
        using var rules = await prometheus.GetJsonAsync("api/v1/rules");
        return rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Single(r => r.GetProperty("name").GetString() == name)
            .GetProperty("query").GetString()!;
    }
}
