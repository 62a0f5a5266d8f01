using System.Text;
using Gateway.Core.Bencode;
using Gateway.Core.Catalog;
using Gateway.Core.Torrents;
using Gateway.Feedback.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A published repository with one large file, a real gateway hosting the tracker on its own loopback ports
/// (short intervals so lifecycles play out in seconds), and two volunteers holding the file: <c>v1</c> keyed,
/// <c>v2</c> without a key.
/// </summary>
public sealed class TrackerTestBed : IAsyncDisposable
{
    public const string FilePath = "iso/disk.iso";
    public const string V1Key = "v1-key-0123456789abcdef";

    private readonly List<BitTorrentClient> _clients = [];

    private TrackerTestBed(TestRepository repository, GatewayUnderTest gateway, ManifestTorrent torrent)
    {
        Repository = repository;
        Gateway = gateway;
        Torrent = torrent;
        var server = gateway.App.Services.GetRequiredService<TrackerServer>();
        HttpUrl = server.HttpUrl!.ToString().TrimEnd('/');
        UdpUrl = $"udp://127.0.0.1:{server.UdpEndPoint!.Port}/announce";
    }

    public TestRepository Repository { get; }

    public GatewayUnderTest Gateway { get; }

    public ManifestTorrent Torrent { get; }

    public InfoHash InfoHash => InfoHash.Parse(Torrent.InfoHash);

    public string TorrentFile => Path.Combine(Repository.Folder, Torrent.Torrent);

    /// <summary>The tracker's HTTP base, e.g. http://127.0.0.1:41234 (announce at /announce).</summary>
    public string HttpUrl { get; }

    public string UdpUrl { get; }

    public string ContentId => Gateway.App.Services.GetRequiredService<CatalogState>().Current.Find(FilePath)!.ContentId;

    public static async Task<TrackerTestBed> StartAsync(int fileSize = 6 * 1024 * 1024, params string[] settings)
    {
        var repository = new TestRepository();
        repository.Add(FilePath, fileSize);
        var published = await repository.PublishAsync();
        Assert.True(published.Torrents > 0, "publish made no torrent");
        await using var stream = File.OpenRead(repository.ManifestPath);
        var manifest = await ManifestReader.ReadAsync(stream, CancellationToken.None);
        var torrent = manifest.Torrents!.Single(t => t.SingleFile && t.Files.Contains(FilePath));
        var v1 = await TestVolunteer.StartAsync("v1", repository.MirrorFolder("v1", [FilePath]));
        var v2 = await TestVolunteer.StartAsync("v2", repository.MirrorFolder("v2", [FilePath]));
        var gateway = await GatewayUnderTest.StartAsync(
            repository,
            [v1, v2],
            [
                "--Tracker:Enabled=true",
                "--Tracker:Urls=http://127.0.0.1:0",
                "--Tracker:UdpPort=0",
                "--Tracker:UdpAddress=127.0.0.1",
                "--Tracker:Interval=00:00:02",
                "--Tracker:MinInterval=00:00:01",
                "--Tracker:VolunteerInterval=00:00:02",
                "--Tracker:VolunteerMinInterval=00:00:01",
                "--Tracker:PeerLifetime=00:00:05",
                "--Selection:FeedbackMaxAge=00:01:30",
                "--Tracker:ExpiryInterval=00:00:00.5",
                "--Tracker:RateLimitPerSecond=0",
                $"--Volunteers:0:Key={V1Key}",
                .. settings,
            ]);
        return new TrackerTestBed(repository, gateway, torrent);
    }

    /// <summary>Starts a client the bed stops (by PID) at the end.</summary>
    public BitTorrentClient Track(BitTorrentClient client)
    {
        _clients.Add(client);
        return client;
    }

    /// <summary>A folder for a client's downloads.</summary>
    public string NewFolder(string name)
    {
        var folder = Path.Combine(Repository.Root, name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>The file's folder for a seeder: the single-file torrent's name is the file name.</summary>
    public static string SeedFolder(string root) => Path.GetDirectoryName(Path.Combine(root, FilePath))!;

    /// <summary>Scrapes the torrent over HTTP (BEP 48): complete, downloaded, incomplete.</summary>
    public async Task<(long Complete, long Downloaded, long Incomplete)> ScrapeAsync()
    {
        var body = await Gateway.Client.GetByteArrayAsync($"{HttpUrl}/scrape?info_hash={PercentEncode(InfoHash.ToArray())}");
        var reply = (BencodeDictionary)BencodeDecoder.Decode(body);
        Assert.False(reply.TryGetValue("failure reason"u8, out var failure), $"scrape failed: {failure}");
        var files = reply.Get<BencodeDictionary>("files"u8)!;
        if (!files.TryGetValue(InfoHash.ToArray(), out var entry))
        {
            return (0, 0, 0);
        }

        var counts = (BencodeDictionary)entry;
        return (counts.Get<BencodeInteger>("complete"u8)!.Value, counts.Get<BencodeInteger>("downloaded"u8)!.Value, counts.Get<BencodeInteger>("incomplete"u8)!.Value);
    }

    /// <summary>Polls the scrape until it shows <paramref name="complete"/> seeders (bounded).</summary>
    public async Task SeedersBecomeAsync(long complete, TimeSpan? within = null)
    {
        var last = (0L, 0L, 0L);
        await Eventually.HoldsAsync(
            async () => (last = await ScrapeAsync()).Item1 == complete,
            within ?? TimeSpan.FromSeconds(45),
            () => $"scrape (complete, downloaded, incomplete) = {last}; clients:\n{string.Join("\n---\n", _clients.Select(c => c.Output))}");
    }

    /// <summary>RFC 3986 percent-encoding of raw bytes, as BitTorrent clients send info_hash and peer_id.</summary>
    public static string PercentEncode(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await Gateway.DisposeAsync();
        Repository.Dispose();
    }
}
