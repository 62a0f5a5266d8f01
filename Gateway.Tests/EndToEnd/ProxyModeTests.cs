using System.Net;
using System.Security.Cryptography;
using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.EndToEnd;

public sealed class ProxyModeTests : IAsyncLifetime
{
    private DownloadScenario _s = null!;

    public async Task InitializeAsync() => _s = await StartAsync(
        "--Gateway:Mode=Proxy", "--Selection:Seed=1", "--Proxy:MaxAttempts=3", "--Proxy:ActivityTimeout=00:00:01", "--Health:PassiveEnabled=false");

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task Streams_a_holders_bytes_with_Range_HEAD_and_conditional_requests()
    {
        await _s.Gateway.HoldAsync("v3", Image);
        var expected = _s.Repository.Read(Image);

        var output = Path.Combine(_s.Repository.Root, "full.out");
        var full = await CommandLine.CurlAsync("-o", output, "-D", "-", "-w", "%{http_code} %{num_redirects}", _s.Url(Image));
        Assert.EndsWith("200 0", full.Stdout, StringComparison.Ordinal);
        Assert.Contains("Repr-Digest: sha-256=:" + Convert.ToBase64String(SHA256.HashData(expected)) + ":", full.Stdout, StringComparison.Ordinal);
        Assert.Equal(expected, await File.ReadAllBytesAsync(output));

        var range = await CommandLine.CurlAsync("-r", "500000-500099", "-o", output, "-w", "%{http_code}", _s.Url(Image));
        Assert.Equal("206", range.Stdout);
        Assert.Equal(expected.AsSpan(500_000, 100).ToArray(), await File.ReadAllBytesAsync(output));

        var head = await CommandLine.CurlAsync("-I", _s.Url(Image));
        Assert.StartsWith("HTTP/1.1 200", head.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Content-Length: {expected.Length}", head.Stdout, StringComparison.OrdinalIgnoreCase);

        var conditional = await CommandLine.CurlAsync("-o", "/dev/null", "-H", $"If-Modified-Since: {DateTime.UtcNow:R}", "-w", "%{http_code}", _s.Url(Image));
        Assert.Equal("304", conditional.Stdout);

        var wgetOut = Path.Combine(_s.Repository.Root, "wget.out");
        var wget = await CommandLine.RunAsync("wget", ["-q", "-O", wgetOut, _s.Url(Image)]);
        Assert.True(wget.ExitCode == 0, wget.Stderr);
        Assert.Equal(expected, await File.ReadAllBytesAsync(wgetOut));

        // Every byte came from the holder; the others were never asked.
        Assert.Equal(0, _s.Gateway["v1"].HitCount);
        Assert.Equal(0, _s.Gateway["v2"].HitCount);
        Assert.Equal(5, _s.Gateway["v3"].HitCount);
    }

    [Theory]
    [InlineData(VolunteerBehavior.Abort)]
    [InlineData(VolunteerBehavior.Fail500)]
    [InlineData(VolunteerBehavior.Hang)]
    public async Task Fails_over_to_another_holder_when_the_chosen_one_fails_before_the_first_byte(VolunteerBehavior failure)
    {
        await _s.Gateway.HoldAsync("v1", Big);
        await _s.Gateway.HoldAsync("v2", Big);
        _s.Gateway["v1"].Behavior = failure;
        var expected = _s.Repository.Read(Big);
        for (var i = 0; i < 8; i++)
        {
            using var response = await _s.Gateway.Client.GetAsync(Big);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
        }

        // The failing holder was tried (the policy spreads over both) and every request still completed from v2.
        Assert.True(_s.Gateway["v1"].HitCount > 0, "the failing volunteer was never chosen, so failover was not exercised");
        Assert.Equal(8, _s.Gateway["v2"].HitCount);
    }

    [Fact]
    public async Task Falls_back_to_the_origin_when_every_holder_fails()
    {
        await _s.Gateway.HoldAsync("v1", Big);
        await _s.Gateway.HoldAsync("v2", Big);
        _s.Gateway["v1"].Behavior = VolunteerBehavior.Fail500;
        _s.Gateway["v2"].Behavior = VolunteerBehavior.Abort;
        var output = Path.Combine(_s.Repository.Root, "fallback.out");
        var curl = await CommandLine.CurlAsync("-o", output, "-w", "%{http_code}", _s.Url(Big));
        Assert.Equal("200", curl.Stdout);
        Assert.Equal(_s.Repository.Read(Big), await File.ReadAllBytesAsync(output));
        Assert.Equal(1, _s.Gateway["v1"].HitCount);
        Assert.Equal(1, _s.Gateway["v2"].HitCount);
    }
}
