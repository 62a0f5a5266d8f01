using Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Hosting;

public sealed class ConfigurationValidationTests
{
    /// <summary>The least configuration that starts (also the base of <see cref="FeedbackMaxAgeTests"/>).</summary>
    internal static readonly string[] Valid =
    [
        "--urls", "http://127.0.0.1:0",
        "--Catalog:Source=/tmp/manifest-that-does-not-matter.json",
        "--Origin:Url=http://127.0.0.1:9/",
        "--Volunteers:0:Id=v1",
        "--Volunteers:0:Url=http://127.0.0.1:10/",
    ];

    [Theory]
    [InlineData("--Origin:Url=ftp://origin/", "Origin:Url 'ftp://origin/'")]
    [InlineData("--Volunteers:0:Url=not a url", "Volunteers:0:Url 'not a url'")]
    [InlineData("--Volunteers:0:Weight=0", "Volunteers:0:Weight 0 must be between 1 and 1000")]
    [InlineData("--Volunteers:0:Id=origin", "Volunteers:0:Id 'origin'")]
    [InlineData("--Gateway:RedirectStatus=301", "Gateway:RedirectStatus 301 must be 302 or 307")]
    [InlineData("--Gateway:SmallFileThreshold=-1", "Gateway:SmallFileThreshold -1")]
    [InlineData("--Health:Timeout=00:01:00", "Health:Timeout")]
    [InlineData("--Proxy:MaxAttempts=0", "Proxy:MaxAttempts 0")]
    [InlineData("--Selection:DispatchMemory=00:00:00", "Selection:DispatchMemory")]
    [InlineData("--Selection:Candidates=1", "Selection:Candidates 1 must be between 2 and 64")]
    [InlineData("--Selection:ShortestRedirect=00:01:00", "Selection:ShortestRedirect 00:01:00 must be between 00:00:00 and Selection:DispatchMemory")]
    [InlineData("--Catalog:Source=gopher://x/manifest.json", "Catalog:Source 'gopher://x/manifest.json'")]
    [InlineData("--Verify:ReportKey=short", "Verify:ReportKey is too short")]
    [InlineData("--Verify:AdminToken=short", "Verify:AdminToken is too short")]
    [InlineData("--Verify:MaxWholeFileBytes=10", "Verify:MaxWholeFileBytes 10")]
    [InlineData("--Store:Kind=Redis", "Store:Redis must be a Redis connection string")]
    [InlineData("--Store:KeyPrefix={gw}", "Store:KeyPrefix '{gw}'")]
    [InlineData("--Store:ViewMaxAge=00:00:30", "Store:ViewMaxAge 00:00:30 must be at least twice Store:ReconcileInterval")]
    [InlineData("--Volunteers:0:Key=short", "Volunteers:0:Key must be 16-128")]
    [InlineData("--Tracker:MinInterval=00:00:00", "Tracker:MinInterval")]
    [InlineData("--Tracker:PeerLifetime=00:00:10", "Tracker:PeerLifetime")]
    [InlineData("--Tracker:UdpSecret=c2hvcnQ=", "Tracker:UdpSecret")]
    [InlineData("--Tracker:Urls=ftp://x", "Tracker:Urls 'ftp://x'")]
    [InlineData("--Tracker:UdpThreads=-1", "Tracker:UdpThreads")]
    [InlineData("--Tracker:UdpPoll=00:00:01", "Tracker:UdpPoll")]
    public void A_wrong_setting_stops_the_start_with_a_message_naming_the_key(string setting, string expected)
    {
        var error = Assert.Throws<OptionsValidationException>(() => GatewayHost.Build([.. Valid, setting]));
        Assert.Contains(error.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--VerifyProxy:Listen=ftp://x", "VerifyProxy:Listen 'ftp://x'")]
    [InlineData("--VerifyProxy:ReportKey=short", "VerifyProxy:ReportKey is too short")]
    [InlineData("--VerifyProxy:MaxSources=0", "VerifyProxy:MaxSources 0")]
    public void A_wrong_verify_proxy_setting_stops_its_start_with_a_message_naming_the_key(string setting, string expected)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Gateway.ClientProxy.VerifyProxyServer.Build(["--VerifyProxy:Listen=http://127.0.0.1:0", setting]));
        Assert.Contains(error.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_catalog_without_an_origin_is_refused_naming_the_setting_that_needs_one()
    {
        var error = Assert.Throws<OptionsValidationException>(() => GatewayHost.Build(["--urls", "http://127.0.0.1:0", "--Catalog:Source=/nonexistent/manifest.json"]));
        Assert.Contains(error.Failures, f => f.Contains("Origin:Url is required because Catalog:Source is set", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_catalog_no_origin_is_needed_and_the_gateway_is_ready()
    {
        var app = GatewayHost.Build(["--urls", "http://127.0.0.1:0", "--Volunteers:0:Id=v1", "--Volunteers:0:Url=http://127.0.0.1:9/"]);
        await using (app)
        {
            Assert.True(app.Services.GetRequiredService<Gateway.Delivery.Health.ReadinessCheck>().Check().ServesCustomers);
        }
    }
}
