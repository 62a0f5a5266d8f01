using System.Net;
using System.Security.Cryptography;
using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.TamperScenario;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// verify-proxy with the gateway's piece hashes: ranges and HEAD through it (curl) while volunteer v1 tampers, and
/// files with pieces streamed without a spool file.
/// </summary>
public sealed class VerifyProxyPieceTests
{
    private const string Key = "verify-proxy-test-report-key";

    private static readonly string[] RedirectMode =
        ["--Gateway:Mode=Redirect", "--Selection:Seed=11", "--Proxy:ActivityTimeout=00:00:00.5", "--Health:PassiveEnabled=false", $"--Verify:ReportKey={Key}"];

    public static TheoryData<VolunteerBehavior> Tampering => new() { VolunteerBehavior.FlipByte, VolunteerBehavior.WrongContentLength, VolunteerBehavior.StallMidBody };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Curl_ranges_through_the_proxy_get_only_verified_bytes_while_a_volunteer_tampers(VolunteerBehavior behavior)
    {
        await using var s = await StartAsync(RedirectMode);
        // The tiny file is proxied by the gateway, whose only recovery from a stalled volunteer is its own: 0.5 s of
        // silence, then the next holder. The client proxy's silence limit must outlast that with room for a loaded
        // machine (at 1 s it once gave up first in a full suite run and answered 502), so 2.5 s.
        await using var proxy = await VerifyProxyUnderTest.StartAsync($"--VerifyProxy:ReportKey={Key}", "--VerifyProxy:ActivityTimeout=00:00:02.5");
        s.Tamperer.Behavior = behavior;
        var output = Path.Combine(s.Repository.Root, "range.out");
        string[] ranges = ["0-99", "65530-65545", "70000-200000", "299000-", "-500", "131072-196607"];
        for (var round = 0; round < 3; round++)
        {
            s.Quarantine.Clear("v1");
            foreach (var (path, range) in ranges.Select(r => (Chunked, r)).Append((Tiny, "100-39999")).Append((Tiny, "-1")))
            {
                var curl = await CommandLine.CurlAsync("-s", "-x", proxy.Address.ToString(), "-r", range, "-o", output, "-w", "%{http_code}", s.Url(path));
                Assert.Equal("206", curl.Stdout);
                Assert.Equal(Slice(s.Read(path), range), await File.ReadAllBytesAsync(output));
            }
        }

        Assert.True(s.Tamperer.Tampered.GetValueOrDefault(behavior) > 0, "the tamperer was never asked, so nothing was tested");
        var unsatisfiable = await CommandLine.CurlAsync("-s", "-x", proxy.Address.ToString(), "-r", "300000-", "-o", output, "-w", "%{http_code}", s.Url(Chunked));
        Assert.Equal("416", unsatisfiable.Stdout);
    }

    [Fact]
    public async Task Curl_head_through_the_proxy_gets_the_verified_size_and_digest_while_a_volunteer_lies()
    {
        await using var s = await StartAsync(RedirectMode);
        await using var proxy = await VerifyProxyUnderTest.StartAsync($"--VerifyProxy:ReportKey={Key}");
        s.Tamperer.Behavior = VolunteerBehavior.WrongContentLength;
        foreach (var path in new[] { Chunked, Tiny, Chunked, Tiny })
        {
            var curl = await CommandLine.CurlAsync("-s", "-I", "-x", proxy.Address.ToString(), s.Url(path));
            var headers = curl.Stdout.Split("\r\n");
            Assert.StartsWith("HTTP/1.1 200", headers[0], StringComparison.Ordinal);
            Assert.Contains($"Content-Length: {s.Read(path).Length}", headers);
            Assert.Contains($"Repr-Digest: sha-256=:{Convert.ToBase64String(SHA256.HashData(s.Read(path)))}:", headers);
            Assert.Contains("Accept-Ranges: bytes", headers);
        }

        var ranged = await CommandLine.CurlAsync("-s", "-I", "-r", "10-19", "-x", proxy.Address.ToString(), s.Url(Chunked));
        Assert.StartsWith("HTTP/1.1 206", ranged.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Content-Range: bytes 10-19/{s.Read(Chunked).Length}", ranged.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_with_piece_hashes_stream_without_a_spool_file_and_only_large_files_without_them_are_spooled()
    {
        await using var s = await StartAsync(RedirectMode);
        var missing = Path.Combine(s.Repository.Root, "no-such-spool-folder");

        // A spool folder that does not exist: any attempt to spool fails the download.
        await using var proxy = await VerifyProxyUnderTest.StartAsync($"--VerifyProxy:SpoolFolder={missing}", "--VerifyProxy:MaxInMemoryBytes=0");
        s.Tamperer.Behavior = VolunteerBehavior.FlipByte;
        for (var i = 0; i < 10; i++)
        {
            using var response = await proxy.Client.GetAsync(s.Url(Chunked));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(s.Read(Chunked), await response.Content.ReadAsByteArrayAsync());
        }

        // The small file has no piece hashes and is above MaxInMemoryBytes=0: it would need the spool.
        using var tiny = await proxy.Client.GetAsync(s.Url(Tiny));
        Assert.NotEqual(HttpStatusCode.OK, tiny.StatusCode);
    }

    private static byte[] Slice(byte[] file, string range)
    {
        var dash = range.IndexOf('-', StringComparison.Ordinal);
        if (dash == 0)
        {
            return file[^int.Parse(range[1..], System.Globalization.CultureInfo.InvariantCulture)..];
        }

        var from = int.Parse(range[..dash], System.Globalization.CultureInfo.InvariantCulture);
        var to = dash == range.Length - 1 ? file.Length - 1 : Math.Min(file.Length - 1, int.Parse(range[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return file[from..(to + 1)];
    }
}
