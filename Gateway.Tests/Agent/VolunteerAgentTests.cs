using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Agent;

/// <summary>
/// Volunteer agents end to end on loopback: a counting origin, the gateway hosting the tracker, and agents each
/// driving its own real aria2c. One class, so the aria2 swarms of different tests never run at once on two cores.
/// </summary>
public sealed class VolunteerAgentTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TestRepository _repository = new();

    [Fact]
    public async Task A_new_release_reaches_every_agent_in_scope_and_the_gateway_redirects_customers_to_them()
    {
        _repository.Add("pool/main/a/apt_1.deb", 90_000);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1"), new("v2"), new("v3")]);
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["v1", "v2", "v3"], Bound);

        // A release: published at the origin, nobody tells the agents.
        var release = _repository.Add("iso/release-2.iso", 3 * 1024 * 1024 + 777);
        await bed.PublishAsync();
        await bed.HoldersBecomeAsync("iso/release-2.iso", ["v1", "v2", "v3"], Bound);

        var seen = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await bed.Gateway.Client.GetAsync("/iso/release-2.iso");
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            var location = response.Headers.Location!;
            seen.Add(location.GetLeftPart(UriPartial.Authority));
            Assert.Equal(release, await bed.Gateway.Client.GetByteArrayAsync(location));
        }

        string[] agents = ["v1", "v2", "v3"];
        Assert.Subset(agents.Select(id => bed[id].Url.GetLeftPart(UriPartial.Authority)).ToHashSet(), seen);
    }

    [Fact]
    public async Task Once_one_agent_holds_a_release_the_others_take_most_bytes_from_agents_not_the_origin()
    {
        _repository.Add("pool/main/a/apt_1.deb", 20_000);

        // The origin is the bottleneck (2 MB/s per response, as a central server shared by many mirrors).
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1"), new("v2"), new("v3")], originBytesPerSecond: 2_000_000, startNow: ["v1"]);
        const int size = 8 * 1024 * 1024;
        _repository.Add("iso/big.iso", size);
        await bed.PublishAsync();
        await bed.HoldersBecomeAsync("iso/big.iso", ["v1"], Bound);

        var before = bed.Origin.BytesSent;
        await bed.StartAgentAsync("v2");
        await bed.StartAgentAsync("v3");
        await bed.HoldersBecomeAsync("iso/big.iso", ["v1", "v2", "v3"], Bound);
        var fromOrigin = bed.Origin.BytesSent - before;

        // Each rsyncing mirror would take 2 × 8 MiB from the origin; the agents took most of it from each other.
        Assert.True(fromOrigin < size, $"the origin sent {fromOrigin} bytes for two agents' {2 * size}");
    }

    [Fact]
    public async Task A_partial_mirror_never_receives_files_outside_its_prefixes()
    {
        _repository.Add("pool/main/a/apt_1.deb", 70_000);
        _repository.Add("pool/main/b/bash_5.deb", 50_000);
        _repository.Add("pool/contrib/x/extra_1.deb", 60_000);
        _repository.Add("iso/disk.iso", 5 * 1024 * 1024);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("full"), new("part", "pool/main")]);
        await bed.HoldersBecomeAsync("iso/disk.iso", ["full"], Bound);
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["full", "part"], Bound);
        await bed.HoldersBecomeAsync("pool/main/b/bash_5.deb", ["full", "part"], Bound);

        // A later release outside its prefix does not reach it either.
        _repository.Add("iso/disk-2.iso", 5 * 1024 * 1024);
        await bed.PublishAsync();
        await bed.HoldersBecomeAsync("iso/disk-2.iso", ["full"], Bound);

        Assert.Equal(["pool/main/a/apt_1.deb", "pool/main/b/bash_5.deb"], bed["part"].StoredPaths());
        Assert.Equal(["full"], bed.HoldersOf("pool/contrib/x/extra_1.deb"));
        using var response = await bed.Gateway.Client.GetAsync("/iso/disk-2.iso");
        Assert.Equal(bed["full"].Url.GetLeftPart(UriPartial.Authority), response.Headers.Location?.GetLeftPart(UriPartial.Authority));
    }

    public void Dispose() => _repository.Dispose();
}
