using System.Net;
using System.Net.Sockets;
using Gateway.Core.Catalog;
using Gateway.Demo;
using Gateway.Tests.Infrastructure;
using Gateway.Tools.Publish;

namespace Gateway.Tests.Torrents;

/// <summary>A real aria2c completes published torrents from the origin as BEP 19 web seed alone: no tracker answers, no peers.</summary>
public sealed class WebSeedDownloadTests : IAsyncLifetime, IDisposable
{
    private readonly TestRepository _repository = new();
    private StaticFileServer? _origin;
    private Manifest _manifest = null!;

    public async Task InitializeAsync()
    {
        _repository.Add("iso/release 1.iso", 5 * 1024 * 1024 + 12345);
        _repository.Add("pool/main/a/apt_1.deb", 70_000);
        _repository.Add("pool/main/b/lib foo_1.deb", 40_001);
        _repository.Add("pool/main/b/bash_5.deb", 3);

        // The origin serves the folder live, so it can start first and its URL go into the torrents.
        _origin = await StaticFileServer.StartAsync(_repository.Folder, 0, CancellationToken.None);
        var options = new TorrentPublishOptions { WebSeed = _origin.BaseUrl, Announce = new Uri($"http://127.0.0.1:{ClosedPort()}/announce") };
        await new RepositoryPublisher(TimeProvider.System, options).PublishAsync(_repository.Folder, _repository.ManifestPath, TextWriter.Null, CancellationToken.None);
        await using var stream = File.OpenRead(_repository.ManifestPath);
        _manifest = await ManifestReader.ReadAsync(stream, CancellationToken.None);
    }

    [Fact]
    public async Task Aria2_downloads_a_single_file_torrent_from_the_web_seed_alone()
    {
        var torrent = _manifest.Torrents!.Single(t => t.SingleFile && t.Name == "release 1.iso");
        var downloads = await Aria2DownloadAsync(torrent);
        Assert.Equal(_repository.Read("iso/release 1.iso"), await File.ReadAllBytesAsync(Path.Combine(downloads, "release 1.iso")));
    }

    [Fact]
    public async Task Aria2_downloads_a_multi_file_batch_torrent_from_the_web_seed_alone()
    {
        var torrent = _manifest.Torrents!.Single(t => !t.SingleFile);
        Assert.Equal(3, torrent.Files.Count);
        var downloads = await Aria2DownloadAsync(torrent);
        foreach (var path in torrent.Files)
        {
            var local = Path.Combine(downloads, ManifestTorrent.MovePath(path, torrent.Folder, string.Empty));
            Assert.Equal(_repository.Read(path), await File.ReadAllBytesAsync(local));
        }
    }

    public async Task DisposeAsync()
    {
        if (_origin is not null)
        {
            await _origin.DisposeAsync();
        }
    }

    // xUnit calls this after DisposeAsync, once the origin no longer serves the folder.
    public void Dispose() => _repository.Dispose();

    private async Task<string> Aria2DownloadAsync(ManifestTorrent torrent)
    {
        var downloads = Path.Combine(_repository.Root, "aria2-" + torrent.InfoHash);
        Directory.CreateDirectory(downloads);
        var result = await CommandLine.RunAsync(
            "aria2c",
            [
                "--dir=" + downloads,
                "--enable-dht=false",
                "--enable-dht6=false",
                "--bt-enable-lpd=false",
                "--enable-peer-exchange=false",
                "--disable-ipv6=true",
                "--file-allocation=none",
                "--seed-time=0",
                "--bt-tracker-connect-timeout=2",
                "--bt-tracker-timeout=2",
                "--bt-stop-timeout=30",
                "--listen-port=" + ClosedPort(),
                "--summary-interval=0",
                "--console-log-level=warn",
                Path.Combine(_repository.Folder, torrent.Torrent),
            ],
            TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"aria2c failed ({result.ExitCode}): {result.Stdout}\n{result.Stderr}");
        return downloads;
    }

    // A loopback port that was free a moment ago: nothing answers there (tracker), or aria2 may listen on it.
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
