using System.Net;
using System.Text.RegularExpressions;
using Gateway.Demo;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Operations;

/// <summary>
/// The executable with the log levels it ships (Gateway/appsettings.json), run from another folder as ops run it:
/// a first hour of proxying writes state changes, not a line per request, and no stack trace for a volunteer
/// that is simply down.
/// </summary>
public sealed partial class LogVolumeTests : IDisposable
{
    private const int Requests = 100;

    // Start (listening, content root, catalog) and one line per volunteer state change, at two console lines each.
    private const int MostLines = 25;

    private readonly TestRepository _repository = new();
    private readonly string _home = Directory.CreateTempSubdirectory("gateway-logs-").FullName;

    public void Dispose()
    {
        _repository.Dispose();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task A_hundred_proxied_requests_with_a_volunteer_down_log_its_state_once_and_no_stack_trace()
    {
        string[] files = [.. Enumerable.Range(0, 10).Select(i => $"pool/f{i}.deb")];
        foreach (var file in files)
        {
            _repository.Add(file, 20_000);
        }

        await _repository.PublishAsync();
        await using var origin = await StaticFileServer.StartAsync(_repository.Folder, 0, CancellationToken.None);
        await using var v1 = await TestVolunteer.StartAsync("v1", _repository.MirrorFolder("v1", files));
        await using var v2 = await TestVolunteer.StartAsync("v2", _repository.MirrorFolder("v2", files));
        var refused = new Uri($"http://127.0.0.1:{TestPorts.Tcp()}/");

        // A probe every two seconds (room for a cold first probe on a busy machine); the test outlasts several.
        await using var gateway = await GatewayProcess.ServeAsShippedAsync(
            _home,
            $"--Catalog:Source={_repository.ManifestPath}", $"--Origin:Url={origin.BaseUrl}",
            "--Gateway:Mode=Proxy", "--Gateway:SmallFileThreshold=0",
            "--Health:Path=/healthz", "--Health:Interval=00:00:02", "--Health:Timeout=00:00:02",
            "--Volunteers:0:Id=v1", $"--Volunteers:0:Url={v1.BaseUrl}", "--Volunteers:0:Inventory=all",
            "--Volunteers:1:Id=v2", $"--Volunteers:1:Url={v2.BaseUrl}", "--Volunteers:1:Inventory=all",
            "--Volunteers:2:Id=down", $"--Volunteers:2:Url={refused}", "--Volunteers:2:Inventory=all");

        await Eventually.HoldsAsync(
            () => gateway.Output.Contains("Volunteer v1 is up", StringComparison.Ordinal) && gateway.Output.Contains("Volunteer v2 is up", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            () => gateway.Output);
        using var client = new HttpClient { BaseAddress = gateway.Url };
        for (var i = 0; i < Requests; i++)
        {
            using var response = await client.GetAsync(new Uri(files[i % files.Length], UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(20_000, (await response.Content.ReadAsByteArrayAsync()).Length);
        }

        Assert.True(v1.HitCount + v2.HitCount >= Requests, $"the volunteers served {v1.HitCount + v2.HitCount} downloads:\n{gateway.Output}");
        await Task.Delay(TimeSpan.FromSeconds(5));
        var output = gateway.Output;
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length <= MostLines, $"{lines.Length} log lines for {Requests} requests:\n{output}");
        Assert.DoesNotMatch(StackFrame(), output);
        Assert.Single(lines, line => line.Contains("Volunteer down is down", StringComparison.Ordinal));
        Assert.Contains("Connection refused", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_start_prints_no_data_protection_warning_and_writes_no_key()
    {
        _repository.Add("pool/a.deb", 1000);
        await _repository.PublishAsync();

        // A HOME without keys: ASP.NET's DataProtection would create one there and warn that it is unencrypted.
        await using var gateway = await GatewayProcess.ServeAsShippedAsync(
            _home, $"--Catalog:Source={_repository.ManifestPath}", "--Origin:Url=http://127.0.0.1:9/");
        using var client = new HttpClient { BaseAddress = gateway.Url };
        using var ready = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.DoesNotContain("DataProtection", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("warn:", gateway.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_home, ".aspnet")), "no key ring written under HOME");
    }

    [GeneratedRegex(@"^\s+at \S+\(", RegexOptions.Multiline)]
    private static partial Regex StackFrame();
}
