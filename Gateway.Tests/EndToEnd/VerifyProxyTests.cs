using System.Net;
using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.TamperScenario;

namespace Gateway.Tests.EndToEnd;

/// <summary>The verifying client proxy in front of a redirect-mode gateway whose volunteer v1 tampers.</summary>
public sealed class VerifyProxyTests
{
    private const string Key = "verify-proxy-test-report-key";

    private static readonly string[] RedirectMode =
        ["--Gateway:Mode=Redirect", "--Selection:Seed=11", "--Proxy:ActivityTimeout=00:00:00.5", "--Health:PassiveEnabled=false", $"--Verify:ReportKey={Key}"];

    private static readonly string[] ProxySettings = [$"--VerifyProxy:ReportKey={Key}", "--VerifyProxy:ActivityTimeout=00:00:02"];

    public static TheoryData<VolunteerBehavior> Tampering => ProxyVerificationTests.Tampering;

    /// <summary>
    /// 170 downloads per behaviour (1,020 over the theory) through verify-proxy, in parallel batches of 10, the
    /// quarantine cleared before each batch so the gateway keeps redirecting to the tamperer. Altered bodies are
    /// reported and get it quarantined; a stall is no proof and is only skipped.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task No_altered_byte_reaches_the_customer_and_every_download_completes(VolunteerBehavior behavior)
    {
        await using var s = await StartAsync(RedirectMode);
        await using var proxy = await VerifyProxyUnderTest.StartAsync(ProxySettings);
        s.Tamperer.Behavior = behavior;
        var tiny = s.Read(Tiny);
        var chunked = s.Read(Chunked);
        var reported = behavior is VolunteerBehavior.FlipByte or VolunteerBehavior.OtherFileSameSize or VolunteerBehavior.Truncate or VolunteerBehavior.ExtraBytes or VolunteerBehavior.WrongContentLength;
        await s.RunBatchesAsync(behavior, reported, (_, i) => i % 5 == 0 ? ExpectAsync(proxy, s.Url(Tiny), tiny) : ExpectAsync(proxy, s.Url(Chunked), chunked));
    }

    [Fact]
    public async Task Curl_through_the_proxy_gets_verified_bytes_and_metadata_passes_through_from_the_origin()
    {
        await using var s = await StartAsync(RedirectMode);
        await using var proxy = await VerifyProxyUnderTest.StartAsync(ProxySettings);
        s.Tamperer.Behavior = VolunteerBehavior.OtherFileSameSize;
        var output = Path.Combine(s.Repository.Root, "curl.out");
        for (var i = 0; i < 6; i++)
        {
            var curl = await CommandLine.CurlAsync("-x", proxy.Address.ToString(), "-o", output, "-w", "%{http_code}", s.Url(Chunked));
            Assert.Equal("200", curl.Stdout);
            Assert.Equal(s.Read(Chunked), await File.ReadAllBytesAsync(output));
        }

        var release = await CommandLine.CurlAsync("-x", proxy.Address.ToString(), "-s", s.Url(Release));
        Assert.Equal("Suite: stable\n", release.Stdout);
    }

    [Fact]
    public async Task Apt_through_the_proxy_updates_and_downloads_the_origins_debs_while_a_volunteer_tampers()
    {
        using var repository = new TestRepository();
        var debs = new[]
        {
            await DebRepository.BuildDebAsync(repository, "gw-verify-a", 200_000),
            await DebRepository.BuildDebAsync(repository, "gw-verify-b", 150_000),
        };
        await DebRepository.WriteIndexesAsync(repository);
        await repository.PublishAsync();
        await using var tamperer = await TestVolunteer.StartAsync("v1", repository.MirrorFolder("v1", debs));
        await using var honest = await TestVolunteer.StartAsync("v2", repository.MirrorFolder("v2", debs));
        tamperer.Behavior = VolunteerBehavior.FlipByte;
        await using var gateway = await GatewayUnderTest.StartAsync(
            repository, [tamperer, honest], [.. RedirectMode, "--Gateway:SmallFileThreshold=0", "--Volunteers:0:Inventory=all", "--Volunteers:1:Inventory=all"]);
        await using var proxy = await VerifyProxyUnderTest.StartAsync(ProxySettings);

        await AptRoot.Create(repository.Root, $"{gateway.Url}/", proxy.Address).UpdateAndDownloadAsync(repository, debs);
        Assert.True(tamperer.HitCount > 0, "the gateway never redirected to the tamperer, so nothing was tested");
    }

    private static async Task ExpectAsync(VerifyProxyUnderTest proxy, string url, byte[] expected)
    {
        using var response = await proxy.Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(body.AsSpan().SequenceEqual(expected), $"{url}: {body.Length} bytes that differ from the {expected.Length} expected");
    }
}
