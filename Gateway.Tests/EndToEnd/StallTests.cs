using System.Net;
using Gateway.Delivery.Availability;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// A volunteer that sends half a file and goes silent, in redirect mode, with customers behind a real verify-proxy
/// that reports stalls: after <c>Stalls:Threshold</c> (2) stalled customers, no customer goes to it until its bench
/// ends, and once it recovers it is chosen again.
/// </summary>
public sealed class StallTests
{
    private const string Key = "stall-test-shared-report-key";
    private const string File = "pool/main/s/stall_1.0_all.deb";

    private static readonly string[] ProxySettings = [$"--VerifyProxy:ReportKey={Key}", "--VerifyProxy:ActivityTimeout=00:00:01"];

    [Fact]
    public async Task A_sole_holder_that_stalls_gets_two_customers_then_none_until_its_bench_ends_and_then_serves_again()
    {
        await using var s = await StartAsync(["v1"], "--Stalls:BenchFor=00:00:02");
        await using var proxy = await VerifyProxyUnderTest.StartAsync(ProxySettings);
        var v1 = s.Gateway["v1"];
        v1.Behavior = VolunteerBehavior.StallMidBody;

        // Every customer gets the file (the proxy continues at the origin from the redirect's Link header).
        for (var i = 0; i < 8; i++)
        {
            await ExpectAsync(proxy, s.Url, s.Bytes);
        }

        Assert.Equal(2, v1.Tampered.GetValueOrDefault(VolunteerBehavior.StallMidBody));
        Assert.True(s.Bench.IsBenched("v1"));
        Assert.False(s.Quarantine.Contains("v1"), "a stall is no proof of tampering");
        Assert.DoesNotContain(v1.BaseUrl.ToString(), await RedirectTargetAsync(s), StringComparison.Ordinal);

        // Recovered: once the bench ends, customers go to it again and it serves them.
        v1.Behavior = VolunteerBehavior.Serve;
        await Eventually.HoldsAsync(() => Task.FromResult(!s.Bench.IsBenched("v1")), TimeSpan.FromSeconds(10), () => "the bench did not end");
        var hits = v1.HitCount;
        Assert.StartsWith(v1.BaseUrl.ToString(), await RedirectTargetAsync(s), StringComparison.Ordinal);
        await ExpectAsync(proxy, s.Url, s.Bytes);
        Assert.True(v1.HitCount > hits);
        Assert.False(s.Bench.IsBenched("v1"));
    }

    [Fact]
    public async Task Among_honest_holders_a_stalling_one_keeps_no_more_than_the_threshold_of_customers_waiting()
    {
        await using var s = await StartAsync(["v1", "v2", "v3"], "--Stalls:BenchFor=00:05:00");
        await using var proxy = await VerifyProxyUnderTest.StartAsync(ProxySettings);
        var v1 = s.Gateway["v1"];
        v1.Behavior = VolunteerBehavior.StallMidBody;

        for (var i = 0; i < 40; i++)
        {
            await ExpectAsync(proxy, s.Url, s.Bytes);
        }

        // Each stall counts as load at once, so the policy mostly avoids it even before the threshold.
        var stalled = v1.Tampered.GetValueOrDefault(VolunteerBehavior.StallMidBody);
        Assert.InRange(stalled, 1, 2);
        Assert.True(s.Gateway["v2"].HitCount + s.Gateway["v3"].HitCount >= 38, "the honest holders served the rest");
    }

    /// <summary>Where the gateway sends a customer: the redirect's target, or "origin" when it serves the origin's copy itself (no usable holder).</summary>
    private static async Task<string> RedirectTargetAsync(Scenario s)
    {
        using var answer = await s.Gateway.Client.GetAsync(File);
        Assert.True(answer.StatusCode is HttpStatusCode.Found or HttpStatusCode.OK, $"{answer.StatusCode}");
        return answer.Headers.Location?.ToString() ?? "origin";
    }

    private static async Task ExpectAsync(VerifyProxyUnderTest proxy, string url, byte[] expected)
    {
        using var response = await proxy.Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<Scenario> StartAsync(string[] ids, params string[] settings)
    {
        var repository = new TestRepository();
        var bytes = repository.Add(File, 200_000);
        await repository.PublishAsync(64 * 1024);
        var volunteers = new List<TestVolunteer>();
        var args = new List<string>
        {
            "--Gateway:Mode=Redirect", "--Selection:Seed=5", "--Health:PassiveEnabled=false", $"--Verify:ReportKey={Key}",
        };
        for (var i = 0; i < ids.Length; i++)
        {
            volunteers.Add(await TestVolunteer.StartAsync(ids[i], repository.MirrorFolder(ids[i], [File])));
            args.Add($"--Volunteers:{i}:Inventory=all");
        }

        var gateway = await GatewayUnderTest.StartAsync(repository, volunteers, [.. args, .. settings]);
        return new Scenario(repository, gateway, bytes);
    }

    private sealed class Scenario(TestRepository repository, GatewayUnderTest gateway, byte[] bytes) : IAsyncDisposable
    {
        public GatewayUnderTest Gateway { get; } = gateway;

        public byte[] Bytes { get; } = bytes;

        public string Url => $"{Gateway.Url}/{File}";

        public StallBench Bench => Gateway.App.Services.GetRequiredService<StallBench>();

        public Gateway.Delivery.Quarantine.QuarantineList Quarantine => Gateway.App.Services.GetRequiredService<Gateway.Delivery.Quarantine.QuarantineList>();

        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            repository.Dispose();
        }
    }
}
