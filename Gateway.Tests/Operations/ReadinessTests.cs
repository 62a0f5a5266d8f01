using System.Net;
using System.Text.Json;
using Gateway.State;
using Gateway.State.Memory;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.Operations;

public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_answers_ready_with_the_catalog_and_the_store_as_json()
    {
        await using var s = await StartAsync("--Gateway:Mode=Redirect");
        await s.Gateway.HoldAsync("v1", Big);
        using var response = await s.Gateway.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
        var volunteers = body.RootElement.GetProperty("volunteers");
        Assert.Equal(3, volunteers.GetProperty("configured").GetInt32());
        Assert.Equal(3, volunteers.GetProperty("usable").GetInt32());
        Assert.Equal(1, volunteers.GetProperty("holding").GetInt32());
        Assert.True(body.RootElement.GetProperty("catalog").GetProperty("loaded").GetBoolean());
        Assert.Equal(5, body.RootElement.GetProperty("catalog").GetProperty("files").GetInt32());
        Assert.Equal("healthy", body.RootElement.GetProperty("store").GetProperty("state").GetString());
        using var alive = await s.Gateway.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task Readyz_is_degraded_with_the_reason_while_no_volunteer_holds_anything_or_none_can_be_chosen_and_still_serves_from_the_origin()
    {
        await using var s = await StartAsync("--Gateway:Mode=Redirect");
        var (status, reason) = await ReadyAsync(s);
        Assert.Equal("degraded", status);
        Assert.Contains("none of the 3 usable volunteers holds a published file", reason, StringComparison.Ordinal);
        using (var served = await s.Gateway.Client.GetAsync(Big))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        await s.Gateway.HoldAsync("v2", Big);
        Assert.Equal("ready", (await ReadyAsync(s)).Status);

        var quarantine = s.Gateway.App.Services.GetRequiredService<Gateway.Delivery.Quarantine.QuarantineList>();
        foreach (var id in new[] { "v1", "v2", "v3" })
        {
            quarantine.Add(id, "test", "gateway");
        }

        (status, reason) = await ReadyAsync(s);
        Assert.Equal("degraded", status);
        Assert.Contains("no volunteer can be chosen (v1: quarantined; v2: quarantined; v3: quarantined)", reason, StringComparison.Ordinal);
    }

    private static async Task<(string Status, string Reason)> ReadyAsync(Gateway.Tests.EndToEnd.DownloadScenario s)
    {
        using var response = await s.Gateway.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var volunteers = body.RootElement.GetProperty("volunteers");
        return (body.RootElement.GetProperty("status").GetString()!, volunteers.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "");
    }

    [Fact]
    public async Task Readyz_turns_degraded_with_the_reason_when_the_store_is_unreachable_and_ready_again_when_it_returns()
    {
        var store = new SwitchableSwarmStore();
        await using var s = await StartAsync(builder => builder.Services.AddSingleton<IHoldingsStore>(store), "--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0");
        await s.Gateway.HoldAsync("v1", Big);
        Assert.Equal("ready", (await ReadyAsync(s.Gateway)).Status);

        store.Reachable = false;
        var degraded = await ReadyAsync(s.Gateway);
        Assert.Equal(HttpStatusCode.OK, degraded.Code);
        Assert.Equal("degraded", degraded.Status);
        Assert.Contains("store is unreachable", degraded.Reason, StringComparison.Ordinal);
        await MetricsEndpointTests.ScrapeUntilAsync(s.Gateway, m => m.Sum("gateway_store_reachable") == 0);

        // Degraded still serves: the gateway redirects from its last view of the swarm.
        using (var response = await s.Gateway.Client.GetAsync(Big))
        {
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        }

        store.Reachable = true;
        var back = await ReadyAsync(s.Gateway);
        Assert.Equal("ready", back.Status);
        Assert.Null(back.Reason);
        await MetricsEndpointTests.ScrapeUntilAsync(s.Gateway, m => m.Sum("gateway_store_reachable") == 1);
    }

    [Fact]
    public async Task Readyz_is_503_not_ready_while_no_catalog_is_loaded()
    {
        await using var s = await StartAsync("--Catalog:Source=/nonexistent/manifest.json");
        var ready = await ReadyAsync(s.Gateway);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Code);
        Assert.Equal("not_ready", ready.Status);
        using var alive = await s.Gateway.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    private static async Task<(HttpStatusCode Code, string? Status, string? Reason)> ReadyAsync(GatewayUnderTest gateway)
    {
        using var response = await gateway.Client.GetAsync("/readyz");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("status").GetString(), body.RootElement.GetProperty("store").GetProperty("reason").GetString());
    }

    /// <summary>An in-memory store whose connection a test can cut (the Redis store's own test stops a real redis-server).</summary>
    private sealed class SwitchableSwarmStore : IHoldingsStore, IStoreHealth
    {
        private readonly InMemoryHoldingsStore _inner = new();

        public bool Reachable { get; set; } = true;

        public StoreStatus Status => new(Reachable, Reachable ? "test store" : "test store: connection cut by the test");

        public ValueTask ReplaceHoldingsAsync(string volunteerId, IReadOnlyCollection<string> contentIds, CancellationToken cancellationToken) =>
            _inner.ReplaceHoldingsAsync(volunteerId, contentIds, cancellationToken);

        public ValueTask UpdateHoldingsAsync(string volunteerId, IReadOnlyCollection<string> added, IReadOnlyCollection<string> removed, CancellationToken cancellationToken) =>
            _inner.UpdateHoldingsAsync(volunteerId, added, removed, cancellationToken);

        public ValueTask ReportLoadAsync(string volunteerId, LoadReport report, CancellationToken cancellationToken) => _inner.ReportLoadAsync(volunteerId, report, cancellationToken);

        public ValueTask RemoveVolunteerAsync(string volunteerId, CancellationToken cancellationToken) => _inner.RemoveVolunteerAsync(volunteerId, cancellationToken);

        public ValueTask<HoldingsSnapshot> GetSnapshotAsync(CancellationToken cancellationToken) => _inner.GetSnapshotAsync(cancellationToken);

        public IAsyncEnumerable<HoldingsChange> WatchAsync(CancellationToken cancellationToken) => _inner.WatchAsync(cancellationToken);
    }
}
