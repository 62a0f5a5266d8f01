using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Core.Reports;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Metrics;
using Gateway.Delivery.Quarantine;
using Gateway.Delivery.Reports;
using Microsoft.Extensions.DependencyInjection;

using static Gateway.Tests.EndToEnd.TamperScenario;

namespace Gateway.Tests.EndToEnd;

/// <summary>Reports from verifying client proxies, and the operator's quarantine endpoints.</summary>
public sealed class QuarantineTests : IAsyncLifetime
{
    private const string Key = "a-shared-report-key-for-tests";
    private const string Token = "an-admin-token-for-the-tests";
    private TamperScenario _s = null!;

    public async Task InitializeAsync() => _s = await StartAsync("--Gateway:Mode=Redirect", $"--Verify:ReportKey={Key}", $"--Verify:AdminToken={Token}");

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task A_signed_report_quarantines_the_volunteer_until_the_operator_clears_it()
    {
        using var response = await PostReportAsync(Report(_s.Gateway["v2"].BaseUrl + Chunked, Chunked), Key);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(_s.Quarantine.Contains("v2"));
        Assert.Equal(1, QuarantinedGauge());

        // Out of selection: 30 redirects, none to v2.
        for (var i = 0; i < 30; i++)
        {
            using var redirect = await _s.Gateway.Client.GetAsync(Chunked);
            Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
            Assert.DoesNotContain(_s.Gateway["v2"].BaseUrl.ToString(), redirect.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        using var list = await AdminAsync(HttpMethod.Get, QuarantineEndpoints.QuarantinePath, Token);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains("\"volunteer\":\"v2\"", (await list.Content.ReadAsStringAsync()).Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);

        using var clear = await AdminAsync(HttpMethod.Delete, QuarantineEndpoints.QuarantinePath + "/v2", Token);
        Assert.Equal(HttpStatusCode.NoContent, clear.StatusCode);
        Assert.False(_s.Quarantine.Contains("v2"));
        Assert.Equal(0, QuarantinedGauge());
    }

    [Fact]
    public async Task A_signed_stall_report_counts_toward_a_bench_and_quarantines_nobody_and_an_unknown_kind_is_refused()
    {
        var url = _s.Gateway["v2"].BaseUrl + Chunked;
        using var stalled = await PostReportAsync(Report(url, Chunked, kind: "stalled"), Key);
        Assert.Equal(HttpStatusCode.Accepted, stalled.StatusCode);
        Assert.Equal(0, _s.Quarantine.Count);
        var bench = _s.Gateway.App.Services.GetRequiredService<StallBench>();
        Assert.Equal(1, bench.RecentStalls("v2"));
        Assert.False(bench.IsBenched("v2"));

        using var unknown = await PostReportAsync(Report(url, Chunked, kind: "slowish"), Key);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("slowish", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, bench.RecentStalls("v2"));
        Assert.Equal(0, _s.Quarantine.Count);
    }

    [Theory]
    [InlineData("wrong key")]
    [InlineData("stale")]
    [InlineData("not a volunteer URL")]
    [InlineData("unsigned")]
    public async Task A_report_that_is_not_signed_fresh_and_about_a_volunteer_URL_quarantines_nobody(string flaw)
    {
        var url = _s.Gateway["v1"].BaseUrl + Chunked;
        var body = flaw switch
        {
            "stale" => Report(url, Chunked, DateTimeOffset.UtcNow.AddHours(-1)),
            "not a volunteer URL" => Report("http://attacker.example/" + Chunked, Chunked),
            _ => Report(url, Chunked),
        };
        using var response = await PostReportAsync(body, flaw switch { "wrong key" => "another-key-of-enough-length", "unsigned" => null, _ => Key });
        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound, $"{response.StatusCode}");
        Assert.Equal(0, _s.Quarantine.Count);
    }

    [Fact]
    public async Task The_admin_endpoints_want_the_token()
    {
        _s.Quarantine.Add("v1", "test", "gateway");
        using var none = await AdminAsync(HttpMethod.Delete, QuarantineEndpoints.QuarantinePath + "/v1", null);
        using var wrong = await AdminAsync(HttpMethod.Delete, QuarantineEndpoints.QuarantinePath + "/v1", "not-the-admin-token-at-all");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.True(_s.Quarantine.Contains("v1"));
    }

    [Fact]
    public async Task With_a_quarantine_file_a_restart_keeps_the_quarantine_until_it_is_cleared()
    {
        var file = Path.Combine(_s.Repository.Root, "quarantine.json");
        var settings = new[] { "--Gateway:Mode=Redirect", $"--Verify:QuarantineFile={file}" };
        await using (var first = await StartAsync(settings))
        {
            first.Quarantine.Add("v3", "chunk 1 SHA-256 mismatch", "gateway");
        }

        await using (var second = await StartAsync(settings))
        {
            Assert.Equal("chunk 1 SHA-256 mismatch", second.Quarantine.Find("v3")?.Reason);
            Assert.True(second.Quarantine.Clear("v3"));
        }

        await using var third = await StartAsync(settings);
        Assert.Equal(0, third.Quarantine.Count);
    }

    internal static byte[] Report(string url, string path, DateTimeOffset? at = null, string? kind = null) => Encoding.UTF8.GetBytes(
        $$"""{"url":"{{url}}","path":"{{path}}","observed":"{{new string('0', 64)}}","time":{{(at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds()}}{{(kind is null ? "" : $",\"kind\":\"{kind}\"")}}}""");

    private async Task<HttpResponseMessage> PostReportAsync(byte[] body, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, VolunteerReportEndpoint.Path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (key is not null)
        {
            request.Headers.Add(ReportSignature.Header, ReportSignature.Sign(key, body));
        }

        return await _s.Gateway.Client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> AdminAsync(HttpMethod method, string path, string? token)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await _s.Gateway.Client.SendAsync(request);
    }

    private int QuarantinedGauge()
    {
        var factory = _s.Gateway.App.Services.GetRequiredService<IMeterFactory>();
        var value = -1;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "gateway.volunteers.quarantined")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, measured, _, _) => value = measured);
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }
}
