using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>Debian's real apt-get against the gateway, with its own state folders so the machine's apt is untouched.</summary>
public sealed class AptTests
{
    [Theory]
    [InlineData("Redirect")]
    [InlineData("Proxy")]
    public async Task Apt_updates_from_the_origin_and_downloads_packages_from_volunteers(string mode)
    {
        using var repository = new TestRepository();
        var debs = new[] { await DebRepository.BuildDebAsync(repository, "gw-test-a", 200_000), await DebRepository.BuildDebAsync(repository, "gw-test-b", 150_000) };
        await DebRepository.WriteIndexesAsync(repository);
        await repository.PublishAsync();
        await using var volunteer = await TestVolunteer.StartAsync("v1", repository.MirrorFolder("v1", debs));
        await using var gateway = await GatewayUnderTest.StartAsync(repository, [volunteer], $"--Gateway:Mode={mode}", "--Volunteers:0:Inventory=all");

        await AptRoot.Create(repository.Root, $"{gateway.Url}/").UpdateAndDownloadAsync(repository, debs);

        // The packages came from the volunteer; Release and Packages never did.
        Assert.Equal(debs.Select(d => "/" + d).Order(), volunteer.Hits.Order());
    }
}
