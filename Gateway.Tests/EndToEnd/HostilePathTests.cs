using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.EndToEnd;

public sealed class HostilePathTests : IAsyncLifetime
{
    private DownloadScenario _s = null!;

    public async Task InitializeAsync()
    {
        _s = await StartAsync("--Gateway:Mode=Proxy");
        foreach (var id in new[] { "v1", "v2", "v3" })
        {
            await _s.Gateway.HoldAsync(id, Big, Small, Image);
        }
    }

    public async Task DisposeAsync() => await _s.DisposeAsync();

    public static TheoryData<string> HostileTargets => new()
    {
        "/../../etc/passwd",
        "/pool/%2e%2e/%2e%2e/etc/passwd",
        "/pool/%2E%2E/%2e./etc/passwd",
        "/pool/./main/a/app_1.0_amd64.deb",
        "/pool%2fmain%2fa%2fapp_1.0_amd64.deb",
        "/pool/main%5ca/app_1.0_amd64.deb",
        "/pool/main/a/app_1.0_amd64.deb%00.txt",
        "/pool/%0d%0aSet-Cookie:%20x=1",
        "/pool/%ff%fe.deb",
        "/pool/%c0%ae%c0%ae/etc/passwd",
        "/pool//main/a/app_1.0_amd64.deb",
        "/pool/%zz.deb",
        "/" + new string('a', 2000),
    };

    [Theory]
    [MemberData(nameof(HostileTargets))]
    public async Task A_hostile_path_gets_400_with_a_problem_body_and_nothing_is_fetched(string target)
    {
        var (status, body) = await SendRawAsync(target);
        Assert.Equal(400, status);

        // Kestrel refuses some targets itself before the gateway sees them; ours carry a problem-details body.
        if (body.Length > 0)
        {
            Assert.Contains("\"status\":400", body, StringComparison.Ordinal);
        }

        Assert.All(_s.Gateway.Volunteers, v => Assert.Equal(0, v.HitCount));
    }

    [Fact]
    public async Task Curl_with_path_as_is_is_refused_and_a_normal_path_still_works()
    {
        var hostile = await CommandLine.CurlAsync("--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", $"{_s.Gateway.Url}/pool/../../../etc/passwd");
        Assert.Equal("400", hostile.Stdout);
        var fine = await CommandLine.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", _s.Url(Big));
        Assert.Equal("200", fine.Stdout);
    }

    private async Task<(int Status, string Body)> SendRawAsync(string target)
    {
        var (status, _, body) = await RawHttp.GetAsync(new Uri(_s.Gateway.Url).Port, target);
        return (status, body);
    }
}
