using Gateway.Delivery.Quarantine;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// With a catalog, paths outside it go to the origin (the default) or, with <c>Gateway:UncataloguedPaths=Balancer</c>,
/// to the volunteers as in Apache; either way they are never verified, so an honest volunteer is never quarantined for them.
/// </summary>
public sealed class UncataloguedPathsTests : IAsyncDisposable
{
    private const string Published = "pool/main/a/app_1.0_amd64.deb";
    private const string Unpublished = "app/status.json";

    private readonly TestRepository _repository = new();
    private readonly List<TestVolunteer> _volunteers = [];

    [Theory]
    [InlineData("Origin", "origin", "origin", "origin")]
    [InlineData("Balancer", "v0", "v1", "v0")]
    public async Task Paths_outside_the_catalog_follow_the_setting_and_never_quarantine_anyone(string setting, params string[] expected)
    {
        var gateway = await StartAsync($"--Gateway:UncataloguedPaths={setting}");
        var served = new List<string>();
        for (var n = 0; n < expected.Length; n++)
        {
            served.Add(await gateway.Client.GetStringAsync(new Uri(Unpublished, UriKind.Relative)));
        }

        Assert.Equal(expected, served);
        Assert.Empty(gateway.App.Services.GetRequiredService<QuarantineList>().All);
        await gateway.DisposeAsync();
    }

    [Fact]
    public async Task A_route_may_balance_its_own_uncatalogued_paths_while_the_rest_go_to_the_origin()
    {
        var gateway = await StartAsync("--Gateway:Routes:0:PathPrefix=/app/", "--Gateway:Routes:0:Mode=Proxy", "--Gateway:Routes:0:UncataloguedPaths=Balancer");
        Assert.Equal("v0", await gateway.Client.GetStringAsync(new Uri(Unpublished, UriKind.Relative)));
        Assert.Equal("origin", await gateway.Client.GetStringAsync(new Uri("other/status.json", UriKind.Relative)));
        await gateway.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var volunteer in _volunteers)
        {
            await volunteer.DisposeAsync();
        }

        _repository.Dispose();
    }

    private async Task<GatewayUnderTest> StartAsync(params string[] settings)
    {
        _repository.Add(Published, 4096);
        await _repository.PublishAsync();

        // Written after publishing: on disk everywhere, in no catalog, different bytes from each source.
        _repository.AddBytes(Unpublished, "origin"u8.ToArray());
        _repository.AddBytes("other/status.json", "origin"u8.ToArray());
        for (var i = 0; i < 2; i++)
        {
            var folder = _repository.MirrorFolder($"v{i}", [Published]);
            Directory.CreateDirectory(Path.Combine(folder, "app"));
            await File.WriteAllTextAsync(Path.Combine(folder, Unpublished), $"v{i}");
            _volunteers.Add(await TestVolunteer.StartAsync($"v{i}", folder));
        }

        return await GatewayUnderTest.StartAsync(_repository, _volunteers, ["--Gateway:Mode=Proxy", "--Selection:Policy=byrequests", "--Verify:Proxy=true", .. settings]);
    }
}
