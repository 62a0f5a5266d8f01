using System.Text.RegularExpressions;
using Gateway.Delivery.AccessLog;
using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.Operations;

public sealed partial class AccessLogTests
{
    private static readonly string[] ExpectedAttempts = ["v2", "v1:status,v2"];

    [Fact]
    public void Formats_apaches_combined_format_followed_by_volunteer_outcome_microseconds_and_attempts()
    {
        var line = AccessLogLine.Format(new AccessLogEntry(
            "127.0.0.1",
            new DateTimeOffset(2026, 11, 26, 10, 5, 7, TimeSpan.FromHours(1)),
            "GET",
            "/pool/a \"b\".deb?x=1",
            "HTTP/1.1",
            302,
            null,
            null,
            "apt/2.6 \\ é",
            "v1",
            "redirected",
            TimeSpan.FromMilliseconds(1.5)));
        Assert.Equal(
            """127.0.0.1 - - [26/Nov/2026:09:05:07 +0000] "GET /pool/a \"b\".deb?x=1 HTTP/1.1" 302 - "-" "apt/2.6 \\ \xc3\xa9" v1 redirected 1500 -""",
            line);
    }

    [Fact]
    public async Task Writes_one_line_per_request_to_the_configured_file_with_the_volunteer_and_the_outcome()
    {
        var log = Path.Combine(Path.GetTempPath(), "gw-tests", Guid.NewGuid().ToString("N") + ".log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        try
        {
            await using (var s = await StartAsync("--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0", "--AccessLog:Enabled=true", $"--AccessLog:Path={log}"))
            {
                await s.Gateway.HoldAsync("v2", Big);
                await CommandLine.CurlAsync("-o", "/dev/null", "-A", "curl-test", "-e", "http://example.test/", s.Url(Big));
                await CommandLine.CurlAsync("-o", "/dev/null", "-A", "curl-test", s.Url(Release));
                var lines = Array.Empty<string>();
                await Eventually.HoldsAsync(
                    () =>
                    {
                        lines = File.Exists(log) ? ReadShared(log).Split('\n', StringSplitOptions.RemoveEmptyEntries) : [];
                        return lines.Length >= 2;
                    },
                    TimeSpan.FromSeconds(10),
                    () => string.Join('\n', lines));

                var redirect = Combined().Match(lines[0]);
                Assert.True(redirect.Success, lines[0]);
                Assert.Equal("127.0.0.1", redirect.Groups["host"].Value);
                Assert.Equal($"GET /{Big} HTTP/1.1", redirect.Groups["request"].Value);
                Assert.Equal("302", redirect.Groups["status"].Value);
                Assert.Equal("-", redirect.Groups["bytes"].Value);
                Assert.Equal("http://example.test/", redirect.Groups["referer"].Value);
                Assert.Equal("curl-test", redirect.Groups["agent"].Value);
                Assert.Equal("v2", redirect.Groups["volunteer"].Value);
                Assert.Equal("redirected", redirect.Groups["outcome"].Value);

                var origin = Combined().Match(lines[1]);
                Assert.True(origin.Success, lines[1]);
                Assert.Equal("200", origin.Groups["status"].Value);
                Assert.Equal(s.Repository.Read(Release).Length.ToString(System.Globalization.CultureInfo.InvariantCulture), origin.Groups["bytes"].Value);
                Assert.Equal("-", origin.Groups["volunteer"].Value);
                Assert.Equal("origin", origin.Groups["outcome"].Value);
            }
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task Names_the_volunteer_that_served_a_verified_proxied_download_and_the_attempts_before_it()
    {
        var log = Path.Combine(Path.GetTempPath(), "gw-tests", Guid.NewGuid().ToString("N") + ".log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        try
        {
            await using var s = await StartAsync("--Gateway:Mode=Proxy", "--Health:PassiveEnabled=false", "--Selection:Seed=2", "--AccessLog:Enabled=true", $"--AccessLog:Path={log}");
            await s.Gateway.HoldAsync("v1", Big);
            await s.Gateway.HoldAsync("v2", Big);
            s.Gateway["v1"].Behavior = VolunteerBehavior.Fail500;
            const int Downloads = 8;
            for (var i = 0; i < Downloads; i++)
            {
                var curl = await CommandLine.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", s.Url(Big));
                Assert.Equal("200", curl.Stdout);
            }

            var lines = Array.Empty<string>();
            await Eventually.HoldsAsync(
                () =>
                {
                    lines = File.Exists(log) ? ReadShared(log).Split('\n', StringSplitOptions.RemoveEmptyEntries) : [];
                    return lines.Length >= Downloads;
                },
                TimeSpan.FromSeconds(10),
                () => string.Join('\n', lines));

            var attempts = new List<string>();
            foreach (var line in lines)
            {
                var match = Combined().Match(line);
                Assert.True(match.Success, line);
                Assert.Equal("v2", match.Groups["volunteer"].Value);
                Assert.Equal("proxied", match.Groups["outcome"].Value);
                attempts.Add(match.Groups["attempts"].Value);
            }

            Assert.All(attempts, a => Assert.Contains(a, ExpectedAttempts));
            Assert.Contains("v1:status,v2", attempts);
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    // %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %{BALANCER_WORKER_NAME}e %{GATEWAY_OUTCOME}e %D %{GATEWAY_ATTEMPTS}e
    [GeneratedRegex("""^(?<host>\S+) - - \[(?<time>\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] "(?<request>[^"]*)" (?<status>\d{3}) (?<bytes>\d+|-) "(?<referer>[^"]*)" "(?<agent>[^"]*)" (?<volunteer>\S+) (?<outcome>\S+) (?<micros>\d+) (?<attempts>\S+)$""")]
    private static partial Regex Combined();
}
