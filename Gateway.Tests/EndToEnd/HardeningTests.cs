using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.TamperScenario;

namespace Gateway.Tests.EndToEnd;

/// <summary>No open redirect, explicit request limits, no header injection, TLS from configuration.</summary>
public sealed class HardeningTests
{
    public static TheoryData<string> OddTargets => new()
    {
        "/" + Chunked,
        "http://evil.example/" + Chunked,
        "//evil.example/" + Chunked,
        "/%2F%2Fevil.example/" + Chunked,
        "/" + Chunked + "?next=http://evil.example/",
        "/" + Chunked + "?url=//evil.example",
        "/evil.example/" + Chunked,
        "/\\evil.example/" + Chunked,
    };

    [Theory]
    [MemberData(nameof(OddTargets))]
    public async Task Redirects_only_ever_point_at_registered_volunteer_URLs(string target)
    {
        await using var s = await StartAsync("--Gateway:Mode=Redirect");
        var port = new Uri(s.Gateway.Url).Port;
        foreach (var extra in new[] { string.Empty, "X-Forwarded-Host: evil.example\r\n", "X-Forwarded-Proto: javascript\r\n" })
        {
            var (status, head, _) = await RawHttp.SendAsync(port, $"GET {target} HTTP/1.1\r\nHost: evil.example\r\n{extra}Connection: close\r\n\r\n");
            var location = head.Split("\r\n").Where(l => l.StartsWith("Location:", StringComparison.OrdinalIgnoreCase)).Select(l => l[9..].Trim()).ToList();
            if (status is >= 300 and < 400)
            {
                var registered = s.Gateway.Volunteers.Select(v => v.BaseUrl + Chunked).ToList();
                Assert.Contains(Assert.Single(location), registered);
                foreach (var link in head.Split("\r\n").Where(l => l.StartsWith("Link:", StringComparison.OrdinalIgnoreCase)))
                {
                    var url = link[(link.IndexOf('<', StringComparison.Ordinal) + 1)..link.IndexOf('>', StringComparison.Ordinal)];
                    Assert.True(registered.Contains(url) || url == s.Gateway.Origin.BaseUrl + Chunked || url == $"/{Chunked}?meta4", url);
                }
            }
            else
            {
                Assert.Empty(location);
            }
        }
    }

    [Theory]
    [InlineData("huge header", 431)]
    [InlineData("many headers", 431)]
    [InlineData("long request line", 414)]
    [InlineData("big body", 413)]
    public async Task Oversized_or_malformed_requests_are_refused_by_explicit_limits(string what, int expected)
    {
        await using var s = await StartAsync("--Gateway:Mode=Redirect", "--Verify:ReportKey=a-report-key-for-the-limits");
        var request = what switch
        {
            "huge header" => $"GET /{Chunked} HTTP/1.1\r\nHost: a\r\nX-Big: {new string('x', 20_000)}\r\nConnection: close\r\n\r\n",
            "many headers" => $"GET /{Chunked} HTTP/1.1\r\nHost: a\r\n{string.Concat(Enumerable.Range(0, 60).Select(i => $"X-H{i}: 1\r\n"))}Connection: close\r\n\r\n",
            "long request line" => $"GET /{new string('a', 9_000)} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            _ => $"POST /_gateway/report HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n{new string('x', 100_000)}",
        };
        var (status, head, _) = await RawHttp.SendAsync(new Uri(s.Gateway.Url).Port, request);
        Assert.Equal(expected, status);
        Assert.DoesNotContain("Set-Cookie", head, StringComparison.OrdinalIgnoreCase);
        Assert.All(s.Gateway.Volunteers, v => Assert.Equal(0, v.HitCount));
    }

    [Theory]
    [InlineData("/pool/main/c/chunked_1.0_amd64.deb%0d%0aSet-Cookie:%20x=1", "")]
    [InlineData("/pool/main/c/chunked_1.0_amd64.deb?%0d%0aSet-Cookie:%20x=1", "")]
    [InlineData("/pool/main/c/chunked_1.0_amd64.deb", "X-A: 1\nSet-Cookie: x=1\r\n")]
    public async Task Injected_header_lines_never_reach_a_response(string target, string extraHeader)
    {
        await using var s = await StartAsync("--Gateway:Mode=Redirect");
        var (status, head, _) = await RawHttp.SendAsync(new Uri(s.Gateway.Url).Port, $"GET {target} HTTP/1.1\r\nHost: a\r\n{extraHeader}Connection: close\r\n\r\n");
        Assert.True(status is 302 or 400, $"{status}");
        Assert.DoesNotContain("Set-Cookie", head, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Serves_https_with_a_certificate_from_configuration_and_redirects_keep_an_https_volunteers_scheme()
    {
        using var certificate = SelfSigned();
        using var repository = new TestRepository();
        repository.Add(Chunked, 300_000);
        await repository.PublishAsync();
        var pfx = Path.Combine(repository.Root, "gateway.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "test-password"));
        await using var v1 = await TestVolunteer.StartAsync("v1", repository.MirrorFolder("v1", [Chunked]));
        await using var gateway = await GatewayUnderTest.StartAsync(repository, [v1],
            "--Gateway:Mode=Redirect", "--Volunteers:0:Inventory=all", $"--Volunteers:0:Url=https://127.0.0.1:{v1.Port}/",
            "--Kestrel:Endpoints:Https:Url=https://127.0.0.1:0", $"--Kestrel:Endpoints:Https:Certificate:Path={pfx}",
            "--Kestrel:Endpoints:Https:Certificate:Password=test-password");
        Assert.StartsWith("https://", gateway.Url, StringComparison.Ordinal);

        using var client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString() },
        });
        using var response = await client.GetAsync($"{gateway.Url}/{Chunked}");
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal($"https://127.0.0.1:{v1.Port}/{Chunked}", response.Headers.Location!.ToString());
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
