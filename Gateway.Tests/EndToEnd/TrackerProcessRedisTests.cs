using System.Globalization;
using System.Net;
using Gateway.Core.Bencode;
using Gateway.Core.Catalog;
using Gateway.Core.Torrents;
using Gateway.Demo;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// Two gateway processes and one standalone tracker process (the real executable, <c>serve</c> and
/// <c>tracker</c>) share one real redis-server: volunteers announce to the tracker over HTTP with their load,
/// and both gateways follow.
/// </summary>
public sealed class TrackerProcessRedisTests : IAsyncLifetime, IDisposable
{
    private const string File = "iso/disk.iso";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly TestRepository _repository = new();
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly Dictionary<string, TestVolunteer> _volunteers = [];
    private RedisServer _redis = null!;
    private GatewayProcess _tracker = null!;
    private GatewayProcess[] _gateways = [];
    private InfoHash _torrent;

    public async Task InitializeAsync()
    {
        _repository.Add(File, 3 * 1024 * 1024);
        Assert.True((await _repository.PublishAsync()).Torrents > 0, "publish made no torrent");
        await using (var stream = System.IO.File.OpenRead(_repository.ManifestPath))
        {
            var manifest = await ManifestReader.ReadAsync(stream, CancellationToken.None);
            _torrent = InfoHash.Parse(manifest.Torrents!.Single(t => t.Files.Contains(File)).InfoHash);
        }

        _redis = Own(await RedisServer.StartAsync());
        var origin = Own(await StaticFileServer.StartAsync(_repository.Folder, 0, CancellationToken.None));
        List<string> shared =
        [
            "--Store:Kind=Redis", $"--Store:Redis={_redis.ConnectionString}", "--Store:KeyPrefix=procs",
            "--Store:OperationTimeout=00:00:01", "--Store:RetryInterval=00:00:00.2",
            $"--Catalog:Source={_repository.ManifestPath}",
        ];
        string[] ids = ["v1", "v2"];
        for (var i = 0; i < ids.Length; i++)
        {
            var id = ids[i];
            var volunteer = Own(await TestVolunteer.StartAsync(id, _repository.MirrorFolder(id, [File])));
            _volunteers[id] = volunteer;
            shared.AddRange([$"--Volunteers:{i}:Id={id}", $"--Volunteers:{i}:Url={volunteer.BaseUrl}", $"--Volunteers:{i}:Key={KeyOf(id)}"]);
        }

        _tracker = Own(await GatewayProcess.TrackerAsync(
        [
            .. shared, "--Tracker:Interval=00:00:02", "--Tracker:MinInterval=00:00:01",
            "--Tracker:VolunteerInterval=00:00:02", "--Tracker:VolunteerMinInterval=00:00:01", "--Tracker:PeerLifetime=00:00:05",
            "--Tracker:ExpiryInterval=00:00:00.5", "--Tracker:RateLimitPerSecond=0",
        ]));

        // The reconcile is a minute away: within the test's bound only the change notifications move the gateways.
        string[] gateway =
        [
            .. shared, $"--Origin:Url={origin.BaseUrl}", "--Store:ReconcileInterval=00:01:00", "--Health:ActiveEnabled=false",
            "--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0", "--Selection:Seed=7",
        ];
        _gateways = [Own(await GatewayProcess.ServeAsync(gateway)), Own(await GatewayProcess.ServeAsync(gateway))];
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _repository.Dispose();
    }

    [Fact]
    public async Task An_announce_with_new_load_moves_both_gateways_and_a_volunteer_that_stops_announcing_drops_out_of_both()
    {
        await AnnounceAsync("v1", transfers: 1000);
        await AnnounceAsync("v2", transfers: 0);
        await BothChooseAsync("v2");

        // New load on the next announces: both gateways follow within the bound (pub/sub, not the reconcile).
        await AnnounceAsync("v1", transfers: 0);
        await AnnounceAsync("v2", transfers: 1000);
        await BothChooseAsync("v1");

        // v1 falls silent; v2 goes on announcing, busy. Once the tracker expires v1's peer, it holds nothing:
        // both gateways send everything to v2, busy as it is.
        await Eventually.HoldsAsync(
            async () =>
            {
                await AnnounceAsync("v2", transfers: 1000);
                return (await Task.WhenAll(_gateways.Select(ChosenAsync))).All(c => c == "v2");
            },
            TimeSpan.FromSeconds(30),
            () => $"v1 never dropped out; tracker log:\n{_tracker.Output}");
        foreach (var gateway in _gateways)
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal("v2", await ChosenAsync(gateway));
            }
        }
    }

    [Fact]
    public async Task After_redis_restarts_empty_the_next_announces_rebuild_what_both_gateways_choose_from()
    {
        await AnnounceAsync("v1", transfers: 0);
        await AnnounceAsync("v2", transfers: 1000);
        await BothChooseAsync("v1");

        // No persistence: Redis comes back empty, and the gateways' views empty with it (files go to the origin).
        await _redis.KillAsync();
        await _redis.RestartAsync();

        // The tracker still remembers both seeders; their next announces write their holdings and load again.
        await Eventually.HoldsAsync(
            async () =>
            {
                await AnnounceAsync("v1", transfers: 1000);
                await AnnounceAsync("v2", transfers: 0);
                return (await Task.WhenAll(_gateways.Select(ChosenAsync))).All(c => c == "v2");
            },
            TimeSpan.FromSeconds(30),
            () => $"the gateways never chose v2 again; tracker log:\n{_tracker.Output}");
    }

    private static string KeyOf(string volunteer) => $"{volunteer}-key-0123456789abcdef";

    private static byte[] PeerIdOf(string volunteer) => System.Text.Encoding.ASCII.GetBytes($"-GW0001-{volunteer,12}");

    private T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>A seeding volunteer's announce to the tracker process, with its load piggybacked (x_http).</summary>
    private async Task AnnounceAsync(string volunteer, int transfers)
    {
        var port = _volunteers[volunteer].Port.ToString(CultureInfo.InvariantCulture);
        var url = new Uri(_tracker.Url, $"announce/{KeyOf(volunteer)}?info_hash={TrackerTestBed.PercentEncode(_torrent.ToArray())}"
            + $"&peer_id={TrackerTestBed.PercentEncode(PeerIdOf(volunteer))}&port={port}&uploaded=0&downloaded=0&left=0&compact=1"
            + $"&x_http={transfers.ToString(CultureInfo.InvariantCulture)}");
        var reply = (BencodeDictionary)BencodeDecoder.Decode(await _client.GetByteArrayAsync(url));
        Assert.False(reply.TryGetValue("failure reason"u8, out var failure), $"announce failed: {failure}");
    }

    /// <summary>The volunteer the gateway redirects the file to, or its status code when it does not redirect to one.</summary>
    private async Task<string> ChosenAsync(GatewayProcess gateway)
    {
        using var response = await _client.GetAsync(new Uri(gateway.Url, File));
        var port = response.StatusCode == HttpStatusCode.Found ? response.Headers.Location?.Port : null;
        return _volunteers.Values.SingleOrDefault(v => v.Port == port)?.Id ?? ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
    }

    private async Task BothChooseAsync(string volunteer)
    {
        foreach (var gateway in _gateways)
        {
            var last = string.Empty;
            await Eventually.HoldsAsync(
                async () => (last = await ChosenAsync(gateway)) == volunteer,
                Bound,
                () => $"{gateway.Url} chose {last}, not {volunteer}; tracker log:\n{_tracker.Output}\ngateway log:\n{gateway.Output}");
        }
    }
}
