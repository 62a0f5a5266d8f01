using System.Net;
using Gateway.State.Views;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Tracker;

/// <summary>A volunteer becomes a holder by seeding with its key; a seeder without a key never does.</summary>
public sealed class KeyedVolunteerTests : IAsyncLifetime
{
    private TrackerTestBed _bed = null!;

    public async Task InitializeAsync() => _bed = await TrackerTestBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task A_keyed_aria2_seeder_becomes_a_holder_the_gateway_redirects_to_until_it_stops()
    {
        var v1 = _bed.Gateway["v1"];
        var seeder = _bed.Track(BitTorrentClient.Aria2(
            _bed.TorrentFile, TrackerTestBed.SeedFolder(Path.Combine(_bed.Repository.Root, "v1")), $"{_bed.HttpUrl}/announce/{TrackerTestBed.V1Key}", seed: true));
        var view = _bed.Gateway.App.Services.GetRequiredService<HoldingsView>();
        await Eventually.HoldsAsync(() => view.HoldersOf(_bed.ContentId).Contains("v1"), TimeSpan.FromSeconds(45), () => $"holders: [{string.Join(", ", view.HoldersOf(_bed.ContentId))}]\n{seeder.Output}");

        using var response = await _bed.Gateway.Client.GetAsync("/" + TrackerTestBed.FilePath);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.StartsWith(v1.BaseUrl.ToString(), response.Headers.Location!.ToString(), StringComparison.Ordinal);

        // Its announces carry its load: derived from its counters, fresh.
        Assert.True(view.TryGetLoad("v1", out var load), "no load report for v1");
        Assert.True(DateTimeOffset.UtcNow - load.ReportedAt < TimeSpan.FromSeconds(30), $"stale report {load}");

        await seeder.InterruptAsync();
        await Eventually.HoldsAsync(() => view.HoldersOf(_bed.ContentId).Length == 0, TimeSpan.FromSeconds(15), () => $"holders: [{string.Join(", ", view.HoldersOf(_bed.ContentId))}]");
    }

    [Fact]
    public async Task An_unkeyed_seeder_is_in_the_swarm_but_never_a_holder()
    {
        var v2 = _bed.Gateway["v2"];
        _bed.Track(BitTorrentClient.Aria2(
            _bed.TorrentFile, TrackerTestBed.SeedFolder(Path.Combine(_bed.Repository.Root, "v2")), $"{_bed.HttpUrl}/announce", seed: true));
        await _bed.SeedersBecomeAsync(1);

        var snapshot = await _bed.Gateway.Store.GetSnapshotAsync(CancellationToken.None);
        Assert.DoesNotContain(snapshot.Holdings, h => h.Value.Contains(_bed.ContentId));
        using var response = await _bed.Gateway.Client.GetAsync("/" + TrackerTestBed.FilePath);
        Assert.DoesNotContain(v2.BaseUrl.ToString(), response.Headers.Location?.ToString() ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(0, v2.HitCount);
    }

    [Fact]
    public async Task An_aria2_seeder_with_its_key_in_a_udp_tracker_url_is_in_the_swarm_but_never_a_holder()
    {
        // aria2 sends no BEP 41 URL data (checked with a capture: a 100-byte announce, extensions 0), so the key
        // never reaches the tracker and the announce is anonymous: keyed aria2 volunteers must announce over HTTP.
        var v1 = _bed.Gateway["v1"];
        _bed.Track(BitTorrentClient.Aria2(
            _bed.TorrentFile, TrackerTestBed.SeedFolder(Path.Combine(_bed.Repository.Root, "v1")), $"{_bed.UdpUrl}/{TrackerTestBed.V1Key}", seed: true, udpTracker: true));
        await _bed.SeedersBecomeAsync(1);

        var snapshot = await _bed.Gateway.Store.GetSnapshotAsync(CancellationToken.None);
        Assert.DoesNotContain(snapshot.Holdings, h => h.Value.Contains(_bed.ContentId));
        using var response = await _bed.Gateway.Client.GetAsync("/" + TrackerTestBed.FilePath);
        Assert.DoesNotContain(v1.BaseUrl.ToString(), response.Headers.Location?.ToString() ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(0, v1.HitCount);
    }

    [Fact]
    public async Task An_announce_with_a_wrong_key_gets_a_failure_reason()
    {
        var body = await _bed.Gateway.Client.GetStringAsync(
            $"{_bed.HttpUrl}/announce/not-a-key-0123456789?info_hash={TrackerTestBed.PercentEncode(_bed.InfoHash.ToArray())}&peer_id=-XX0001-012345678901&port=6881&uploaded=0&downloaded=0&left=0");
        Assert.Contains("failure reason", body, StringComparison.Ordinal);
        Assert.Contains("unknown volunteer key", body, StringComparison.Ordinal);
    }
}
