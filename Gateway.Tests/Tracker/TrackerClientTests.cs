using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tracker;

/// <summary>Real BitTorrent clients (aria2c, python3-libtorrent) on loopback find each other through our tracker.</summary>
public sealed class TrackerClientTests : IAsyncLifetime
{
    private TrackerTestBed _bed = null!;

    public async Task InitializeAsync() => _bed = await TrackerTestBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Aria2_downloads_from_an_aria2_seeder_through_the_http_tracker_and_scrape_counts_match()
    {
        var announce = _bed.HttpUrl + "/announce";
        var seeder = _bed.Track(BitTorrentClient.Aria2(_bed.TorrentFile, TrackerTestBed.SeedFolder(_bed.Repository.Folder), announce, seed: true));
        await _bed.SeedersBecomeAsync(1);

        await DownloadAndCompareAsync(BitTorrentClient.Aria2(_bed.TorrentFile, _bed.NewFolder("leecher"), announce, seed: false), "leecher");
        var (complete, downloaded, incomplete) = await _bed.ScrapeAsync();
        Assert.Equal((1, 1, 0), (complete, downloaded, incomplete));

        // SIGINT: aria2 announces stopped, and the seeder leaves the swarm at once (no expiry needed).
        await seeder.InterruptAsync();
        Assert.Equal(0, (await _bed.ScrapeAsync()).Complete);
    }

    [Fact]
    public async Task Aria2_downloads_from_an_aria2_seeder_through_the_udp_tracker()
    {
        _bed.Track(BitTorrentClient.Aria2(_bed.TorrentFile, TrackerTestBed.SeedFolder(_bed.Repository.Folder), _bed.UdpUrl, seed: true, udpTracker: true));
        await _bed.SeedersBecomeAsync(1);
        await DownloadAndCompareAsync(BitTorrentClient.Aria2(_bed.TorrentFile, _bed.NewFolder("leecher"), _bed.UdpUrl, seed: false, udpTracker: true), "leecher");
    }

    [Fact]
    public async Task Libtorrent_downloads_from_an_aria2_seeder_through_the_http_tracker()
    {
        var announce = _bed.HttpUrl + "/announce";
        _bed.Track(BitTorrentClient.Aria2(_bed.TorrentFile, TrackerTestBed.SeedFolder(_bed.Repository.Folder), announce, seed: true));
        await _bed.SeedersBecomeAsync(1);
        await DownloadAndCompareAsync(BitTorrentClient.Libtorrent(_bed.TorrentFile, _bed.NewFolder("lt"), announce, seed: false), "lt");
    }

    [Fact]
    public async Task Libtorrent_seeds_to_aria2_through_the_udp_tracker()
    {
        _bed.Track(BitTorrentClient.Libtorrent(_bed.TorrentFile, TrackerTestBed.SeedFolder(_bed.Repository.Folder), _bed.UdpUrl, seed: true));
        await _bed.SeedersBecomeAsync(1);
        await DownloadAndCompareAsync(BitTorrentClient.Aria2(_bed.TorrentFile, _bed.NewFolder("leecher"), _bed.UdpUrl, seed: false, udpTracker: true), "leecher");
    }

    [Fact]
    public async Task A_killed_seeder_expires_from_the_swarm()
    {
        var seeder = _bed.Track(BitTorrentClient.Aria2(_bed.TorrentFile, TrackerTestBed.SeedFolder(_bed.Repository.Folder), _bed.HttpUrl + "/announce", seed: true));
        await _bed.SeedersBecomeAsync(1);

        // SIGKILL sends no stopped announce: only the tracker's expiry (PeerLifetime 5 s here) removes it.
        await seeder.KillAsync();
        await _bed.SeedersBecomeAsync(0, TimeSpan.FromSeconds(30));
    }

    private async Task DownloadAndCompareAsync(BitTorrentClient client, string folder)
    {
        _bed.Track(client);
        var exit = await client.WaitForExitAsync(TimeSpan.FromSeconds(120));
        Assert.True(exit == 0, $"the client failed ({exit}):\n{client.Output}");
        var downloaded = Path.Combine(_bed.Repository.Root, folder, Path.GetFileName(TrackerTestBed.FilePath));
        Assert.Equal(_bed.Repository.Read(TrackerTestBed.FilePath), await File.ReadAllBytesAsync(downloaded));
    }
}
