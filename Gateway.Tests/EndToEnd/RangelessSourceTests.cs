using System.Net;
using System.Net.Http.Headers;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// Verified proxying from volunteers and an origin that ignore <c>Range</c> (real <c>python3 -m http.server</c>):
/// a customer's range and a resumption after a stall are served by reading the whole file from its start and
/// slicing after verification, never answered 502.
/// </summary>
public sealed class RangelessSourceTests
{
    private const string File = "pool/main/r/rangeless_1.0_amd64.deb";

    [Fact]
    public async Task A_customer_range_is_served_when_the_volunteer_and_the_origin_ignore_Range()
    {
        using var repository = new TestRepository();
        var bytes = repository.Add(File, 300_000);
        await repository.PublishAsync(64 * 1024);
        await using var volunteer = await RangelessServer.StartAsync(repository.MirrorFolder("v1", [File]));
        await using var origin = await RangelessServer.StartAsync(repository.Folder);
        await using var gateway = await GatewayUnderTest.StartAsync(repository, [],
            "--Gateway:Mode=Proxy", $"--Origin:Url={origin.BaseUrl}",
            "--Volunteers:0:Id=v1", $"--Volunteers:0:Url={volunteer.BaseUrl}", "--Volunteers:0:Inventory=all");

        foreach (var (from, to) in new[] { (0L, 99L), (70_000L, 200_000L), (250_000L, 299_999L), (131_072L, 131_072L) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, File);
            request.Headers.Range = new RangeHeaderValue(from, to);
            using var response = await gateway.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal($"bytes {from}-{to}/{bytes.Length}", response.Content.Headers.ContentRange?.ToString());
            Assert.Equal(bytes.AsSpan((int)from, (int)(to - from + 1)).ToArray(), await response.Content.ReadAsByteArrayAsync());
        }

        using var whole = await gateway.Client.GetAsync(File);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(bytes, await whole.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_download_that_stalls_mid_file_resumes_on_a_volunteer_and_origin_that_ignore_Range()
    {
        using var repository = new TestRepository();
        var bytes = repository.Add(File, 300_000);
        await repository.PublishAsync(64 * 1024);
        await using var staller = await TestVolunteer.StartAsync("v1", repository.MirrorFolder("v1", [File]));
        staller.Behavior = VolunteerBehavior.StallMidBody;
        await using var rangeless = await RangelessServer.StartAsync(repository.MirrorFolder("v2", [File]));
        await using var origin = await RangelessServer.StartAsync(repository.Folder);
        await using var gateway = await GatewayUnderTest.StartAsync(repository, [staller],
            "--Gateway:Mode=Proxy", $"--Origin:Url={origin.BaseUrl}", "--Selection:Seed=3", "--Proxy:ActivityTimeout=00:00:00.5", "--Health:PassiveEnabled=false",
            "--Volunteers:0:Inventory=all", "--Volunteers:1:Id=v2", $"--Volunteers:1:Url={rangeless.BaseUrl}", "--Volunteers:1:Inventory=all");

        for (var i = 0; i < 12; i++)
        {
            using var response = await gateway.Client.GetAsync(File);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        }

        Assert.True(staller.Tampered.GetValueOrDefault(VolunteerBehavior.StallMidBody) > 0, "the stalling volunteer was never chosen, so no resumption was tested");
    }

    [Fact]
    public async Task When_no_source_serves_the_502_names_what_each_one_did()
    {
        using var repository = new TestRepository();
        repository.Add(File, 100_000);
        await repository.PublishAsync(64 * 1024);
        await using var failing = await TestVolunteer.StartAsync("v1", repository.MirrorFolder("v1", [File]));
        failing.Behavior = VolunteerBehavior.Fail500;
        await using var gateway = await GatewayUnderTest.StartAsync(repository, [failing],
            "--Gateway:Mode=Proxy", "--Health:PassiveEnabled=false", "--Volunteers:0:Inventory=all", $"--Origin:Url=http://127.0.0.1:{TestPorts.Tcp()}/");

        using var response = await gateway.Client.GetAsync(File);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.Contains("v1 answered 500", problem, StringComparison.Ordinal);
        Assert.Contains("the origin ", problem, StringComparison.Ordinal);
    }
}
