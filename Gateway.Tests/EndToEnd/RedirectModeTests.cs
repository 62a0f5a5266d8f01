using System.Net;
using System.Security.Cryptography;
using Gateway.State;
using Gateway.State.Views;
using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.EndToEnd;

public sealed class RedirectModeTests : IAsyncLifetime
{
    private DownloadScenario _s = null!;

    public async Task InitializeAsync() => _s = await StartAsync("--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=65536");

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task Redirects_only_to_volunteers_that_hold_the_file()
    {
        await _s.Gateway.HoldAsync("v2", Big);
        await _s.Gateway.HoldAsync("v3", Big);
        var targets = new Dictionary<string, int>();
        for (var i = 0; i < 60; i++)
        {
            using var response = await _s.Gateway.Client.GetAsync(Big);
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            var location = response.Headers.Location!;
            var volunteer = _s.Gateway.Volunteers.Single(v => v.Port == location.Port).Id;
            targets[volunteer] = targets.GetValueOrDefault(volunteer) + 1;
            Assert.Equal("/" + Big, location.AbsolutePath);
        }

        Assert.DoesNotContain("v1", targets.Keys);
        Assert.True(targets.GetValueOrDefault("v2") > 0 && targets.GetValueOrDefault("v3") > 0, $"both holders should be used: {string.Join(", ", targets)}");

        // Real clients follow the redirect and get the published bytes.
        var output = Path.Combine(_s.Repository.Root, "curl.out");
        var curl = await CommandLine.CurlAsync("-L", "-o", output, "-w", "%{http_code} %{url_effective}", _s.Url(Big));
        Assert.StartsWith("200 http://127.0.0.1:", curl.Stdout);
        Assert.Equal(_s.Sha256Of(Big), Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(output))));
        var wgetOut = Path.Combine(_s.Repository.Root, "wget.out");
        var wget = await CommandLine.RunAsync("wget", ["-q", "-O", wgetOut, _s.Url(Big)]);
        Assert.True(wget.ExitCode == 0, wget.Stderr);
        Assert.Equal(_s.Sha256Of(Big), Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(wgetOut))));
        Assert.Equal(0, _s.Gateway["v1"].HitCount);
    }

    [Fact]
    public async Task A_redirect_carries_the_files_digest_and_is_not_cacheable()
    {
        await _s.Gateway.HoldAsync("v1", Big);
        using var response = await _s.Gateway.Client.GetAsync(Big);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var digest = Convert.ToBase64String(SHA256.HashData(_s.Repository.Read(Big)));
        Assert.Equal($"sha-256=:{digest}:", response.Headers.GetValues("Repr-Digest").Single());
        Assert.True(response.Headers.CacheControl!.NoStore);
        Assert.True(response.Headers.CacheControl.Private);
        Assert.Equal(new Uri(_s.Gateway["v1"].BaseUrl, Big), response.Headers.Location);
    }

    [Fact]
    public async Task A_file_nobody_holds_is_served_by_the_origin()
    {
        await _s.Gateway.HoldAsync("v1", Big);
        var output = Path.Combine(_s.Repository.Root, "unheld.out");
        var curl = await CommandLine.CurlAsync("-L", "-o", output, "-w", "%{http_code} %{num_redirects}", _s.Url(Unheld));
        Assert.Equal("200 0", curl.Stdout);
        Assert.Equal(_s.Sha256Of(Unheld), Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(output))));
        Assert.All(_s.Gateway.Volunteers, v => Assert.Equal(0, v.HitCount));
    }

    [Fact]
    public async Task Paths_outside_the_catalog_and_repository_metadata_go_to_the_origin_unchanged()
    {
        await _s.Gateway.HoldAsync("v1", Big, Release);
        var release = await CommandLine.CurlAsync("-L", "-w", " %{http_code} %{num_redirects}", _s.Url(Release));
        Assert.Equal("Suite: stable\n 200 0", release.Stdout);
        var missing = await CommandLine.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", _s.Url("pool/not/published.deb"));
        Assert.Equal("404", missing.Stdout);
        Assert.All(_s.Gateway.Volunteers, v => Assert.Equal(0, v.HitCount));
    }

    [Fact]
    public async Task Files_below_the_threshold_are_proxied_from_a_holder_even_in_redirect_mode()
    {
        await _s.Gateway.HoldAsync("v2", Small);
        var output = Path.Combine(_s.Repository.Root, "small.out");
        var curl = await CommandLine.CurlAsync("-o", output, "-w", "%{http_code} %{num_redirects}", _s.Url(Small));
        Assert.Equal("200 0", curl.Stdout);
        Assert.Equal(_s.Sha256Of(Small), Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(output))));
        Assert.Equal(["/" + Small], _s.Gateway["v2"].Hits);
    }

    [Fact]
    public async Task Range_HEAD_and_conditional_requests_work_through_the_redirect()
    {
        await _s.Gateway.HoldAsync("v1", Image);
        var expected = _s.Repository.Read(Image);

        var output = Path.Combine(_s.Repository.Root, "range.out");
        var range = await CommandLine.CurlAsync("-L", "-r", "1000-1999", "-o", output, "-w", "%{http_code}", _s.Url(Image));
        Assert.Equal("206", range.Stdout);
        Assert.Equal(expected.AsSpan(1000, 1000).ToArray(), await File.ReadAllBytesAsync(output));

        var head = await CommandLine.CurlAsync("-L", "-I", _s.Url(Image));
        Assert.Contains("302", head.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Content-Length: {expected.Length}", head.Stdout, StringComparison.OrdinalIgnoreCase);

        var since = DateTime.UtcNow.ToString("R");
        var conditional = await CommandLine.CurlAsync("-L", "-o", "/dev/null", "-H", $"If-Modified-Since: {since}", "-w", "%{http_code}", _s.Url(Image));
        Assert.Equal("304", conditional.Stdout);

        // wget resumes a partial download with a Range request (-c) through the redirect.
        var partial = Path.Combine(_s.Repository.Root, "wget-resume.out");
        await File.WriteAllBytesAsync(partial, expected.AsSpan(0, 500_000).ToArray());
        var wget = await CommandLine.RunAsync("wget", ["-q", "-c", "-O", partial, _s.Url(Image)]);
        Assert.True(wget.ExitCode == 0, wget.Stderr);
        Assert.Equal(expected, await File.ReadAllBytesAsync(partial));
    }

    [Fact]
    public async Task A_volunteers_reported_load_moves_customers_to_another_holder()
    {
        await _s.Gateway.HoldAsync("v1", Big);
        await _s.Gateway.HoldAsync("v2", Big);
        var now = DateTimeOffset.UtcNow;
        await _s.Gateway.Store.ReportLoadAsync("v1", new LoadReport(40, 3, 0, 0, 0, now), CancellationToken.None);
        await _s.Gateway.Store.ReportLoadAsync("v2", new LoadReport(0, 3, 0, 0, 0, now), CancellationToken.None);
        var view = _s.Gateway.App.Services.GetService(typeof(HoldingsView)) as HoldingsView;
        await Eventually.HoldsAsync(() => view!.TryGetLoad("v1", out var r) && r.ActiveTransfers == 40, TimeSpan.FromSeconds(5), () => "no load in view");

        // v2 takes every request until what this gateway sent it outweighs v1's reported 40 transfers.
        for (var i = 0; i < 30; i++)
        {
            using var response = await _s.Gateway.Client.GetAsync(Big);
            Assert.Equal(_s.Gateway["v2"].Port, response.Headers.Location!.Port);
        }
    }
}
