using System.Buffers;
using System.Net;
using Gateway.Agent;
using Gateway.Agent.Mirror;
using Gateway.Agent.Relay;
using Gateway.Agent.Serving;
using Gateway.Agent.Status;
using Gateway.Agent.WebSeed;
using Gateway.Core.Announce;
using Gateway.Core.Bencode;
using Gateway.Core.Catalog;
using Gateway.Core.Torrents;
using Gateway.Demo;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Agent;

/// <summary>Web-seed slicing below the end-to-end tests: the tracker's slices, the relay's rules, the torrent it rewrites, and its HTTP answers.</summary>
public sealed class WebSeedSlicingTests
{
    private static readonly DateTimeOffset Added = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(5);

    [Fact]
    public void The_tracker_lists_the_keyed_members_of_a_fully_listed_swarm_to_each_of_them()
    {
        var peers = new Dictionary<string, SwarmPeer>
        {
            ["v1"] = Peer(1, "v1", seeder: false),
            ["v2"] = Peer(2, "v2", seeder: false),
            ["v3"] = Peer(3, "v3", seeder: false),
        };
        SwarmPeer[] others = [Peer(4, null, seeder: false), Peer(5, "v9", seeder: true)];
        var counts = new SwarmCounts(Seeders: 1, Leechers: 4, Completed: 0);
        var slices = peers.Keys.Select(id => WebSeedSlice.Assign(id, [.. peers.Where(p => p.Key != id).Select(p => p.Value), .. others], counts)!).ToList();

        // Every keyed member, the seeder too (it stays a member when it completes); the anonymous leecher is none.
        string[] keyed = ["v1", "v2", "v3", "v9"];
        ulong[] members = [.. keyed.Select(WebSeedSlice.Token).Order()];
        Assert.All(slices, s => Assert.Equal(members, s.Members));
        Assert.Equal(peers.Keys.Select(WebSeedSlice.Token), slices.Select(s => s.Self));
    }

    [Fact]
    public void A_reply_that_lists_only_a_sample_of_the_swarm_carries_no_members()
    {
        var counts = new SwarmCounts(Seeders: 0, Leechers: 60, Completed: 0);
        Assert.Null(WebSeedSlice.Assign("v1", [Peer(2, "v2", seeder: false)], counts));
    }

    [Fact]
    public void The_members_ride_on_the_announce_reply_and_the_relay_reads_them_back()
    {
        var slice = WebSeedSlice.Assign("v2", [Peer(1, "v1", seeder: false), Peer(3, "v3", seeder: true)], new SwarmCounts(1, 2, 0))!;
        var withSlice = new ArrayBufferWriter<byte>();
        AnnounceResponseWriter.WriteAnnounce(withSlice, new AnnounceResult(null, new SwarmCounts(1, 2, 0), 0, 60, 30) { Slice = slice }, [], compact: true, noPeerId: true);
        var without = new ArrayBufferWriter<byte>();
        AnnounceResponseWriter.WriteAnnounce(without, new AnnounceResult(null, new SwarmCounts(0, 3, 0), 0, 60, 30), [], compact: true, noPeerId: true);

        // Still a canonical reply (keys in order) that any client decodes.
        Assert.IsType<BencodeDictionary>(BencodeDecoder.Decode(withSlice.WrittenMemory));
        var read = AnnounceRelay.ReadSlice(withSlice.WrittenSpan.ToArray());
        Assert.Equal(slice.Self, read!.Self);
        Assert.Equal(slice.Members, read.Members);
        Assert.Null(AnnounceRelay.ReadSlice(without.WrittenSpan.ToArray()));
        Assert.Null(AnnounceRelay.ReadSlice("not bencode"u8.ToArray()));
    }

    [Theory]
    [InlineData(2, 7)]
    [InlineData(3, 3)]
    [InlineData(8, 77)]
    [InlineData(5, 300)]
    public void Every_block_has_exactly_one_owner_and_an_owner_forwards_its_run_of_blocks(int members, int blocks)
    {
        const int pieceLength = 256 * 1024;
        var layout = Layout((blocks * WebSeedSlicing.BlockTarget) - 100, pieceLength);
        var ids = Enumerable.Range(0, members).Select(i => "volunteer-" + i).ToList();
        var agents = ids.Select(id => Confirmed(layout, new WebSeedSlice(WebSeedSlice.Token(id), [.. ids.Select(WebSeedSlice.Token).Order()]))).ToList();

        var owned = new int[members];
        for (var block = 0L; block < blocks; block++)
        {
            var offset = (block * WebSeedSlicing.BlockTarget) + 5;
            var decisions = agents.Select(a => a.Decide(offset, 1, Added.AddSeconds(1), Settle, Stall)).ToList();
            var owner = Assert.Single(decisions, d => d.Action == WebSeedAction.Forward);
            Assert.Equal("slice", owner.Reason);
            Assert.True(owner.End > offset && owner.End <= layout.Size && owner.End - offset <= agents[0].ForwardLength, $"block {block}: end {owner.End}");
            Assert.True(owner.End % pieceLength == 0 || owner.End == layout.Size, $"block {block}: end {owner.End} inside a piece");
            Assert.Equal(WebSeedAction.Forward, agents[decisions.IndexOf(owner)].Decide(owner.End - 1, 1, Added.AddSeconds(1), Settle, Stall).Action);
            owned[decisions.IndexOf(owner)]++;
        }

        // Rendezvous hashing spreads the blocks (every member gets some once there are a few per member).
        if (blocks >= 20 * members)
        {
            Assert.All(owned, n => Assert.InRange(n, 1, blocks));
        }
    }

    [Fact]
    public void A_member_that_joins_moves_only_its_own_share_of_blocks()
    {
        ulong[] before = [.. Enumerable.Range(0, 6).Select(i => WebSeedSlice.Token("v" + i))];
        ulong[] after = [.. before, WebSeedSlice.Token("v6")];
        var hash = InfoHash.Parse("0123456789abcdef0123456789abcdef01234567");
        var torrent = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash.ToArray());
        var moved = Enumerable.Range(0, 400).Count(b => new WebSeedSlice(before[0], before).OwnerOf(torrent, b) != new WebSeedSlice(before[0], after).OwnerOf(torrent, b));
        var toNewcomer = Enumerable.Range(0, 400).Count(b => new WebSeedSlice(before[0], after).OwnerOf(torrent, b) == after[^1]);
        Assert.Equal(toNewcomer, moved);
        Assert.InRange(moved, 1, 400 / 3);
    }

    [Fact]
    public void The_first_reply_is_provisional_until_a_second_confirms_it_or_the_settle_time_passes()
    {
        var layout = Layout(8 * WebSeedSlicing.BlockTarget, 256 * 1024);
        var alone = new WebSeedSlicing(layout, Hash, Added);
        alone.Observe(new WebSeedSlice(1, [1]));
        Assert.Equal(WebSeedAction.Defer, alone.Decide(500_000, 0, Added.AddSeconds(1), Settle, Stall).Action);
        alone.Observe(new WebSeedSlice(1, [1]));
        Assert.Equal((WebSeedAction.Forward, "alone"), Summary(alone.Decide(500_000, 0, Added.AddSeconds(1), Settle, Stall)));

        var none = new WebSeedSlicing(layout, Hash, Added);
        none.Observe(null);
        Assert.Equal(WebSeedAction.Defer, none.Decide(500_000, 0, Added.AddSeconds(1), Settle, Stall).Action);
        Assert.Equal((WebSeedAction.Forward, "no slice"), Summary(none.Decide(500_000, 0, Added + Settle, Settle, Stall)));
    }

    [Fact]
    public void A_foreign_range_is_fetched_once_the_torrent_made_no_progress_for_the_stall_time()
    {
        var layout = Layout(8 * WebSeedSlicing.BlockTarget, 256 * 1024);
        var slice = new WebSeedSlice(1, [1, 2]);
        var slicing = Confirmed(layout, slice);
        var foreign = Enumerable.Range(0, 8).Select(b => b * WebSeedSlicing.BlockTarget).First(o => slicing.Decide(o, 0, Added, Settle, Stall).Action == WebSeedAction.Defer);

        // Progress keeps deferring; none for the stall time (an owner gone, peers that choke) gives up on slicing.
        Assert.Equal(WebSeedAction.Defer, slicing.Decide(foreign, 100, Added.AddSeconds(4), Settle, Stall).Action);
        Assert.Equal(WebSeedAction.Defer, slicing.Decide(foreign, 200, Added.AddSeconds(8), Settle, Stall).Action);
        Assert.Equal(WebSeedAction.Defer, slicing.Decide(foreign, 200, Added.AddSeconds(12.9), Settle, Stall).Action);
        Assert.Equal((WebSeedAction.Forward, "stalled"), Summary(slicing.Decide(foreign, 200, Added.AddSeconds(13), Settle, Stall)));
        Assert.Equal(WebSeedAction.Defer, slicing.Decide(foreign, 300, Added.AddSeconds(14), Settle, Stall).Action);
    }

    [Fact]
    public async Task The_rewritten_torrent_has_no_url_list_and_the_same_info_hash_and_maps_each_file_to_the_origin()
    {
        using var repository = new TestRepository();
        repository.Add("pool/a/one.deb", 40_000);
        repository.Add("pool/a/two.deb", 70_000);
        var built = await TorrentBuilder.BuildAsync(
            new TorrentSpec
            {
                Name = "a",
                SingleFile = false,
                PieceLength = 16384,
                WebSeeds = ["http://origin.example/pool/"],
                Files =
                [
                    new(Path.Combine(repository.Folder, "pool/a/one.deb"), ["one.deb"], 40_000),
                    new(Path.Combine(repository.Folder, "pool/a/two.deb"), ["two.deb"], 70_000),
                ],
            },
            CancellationToken.None);

        Assert.True(WebSeedLayout.TryRead(built.Metainfo, built.InfoHash, out var layout, out var stripped));
        Assert.Equal(built.InfoHash, InfoHash.OfMetainfo(stripped));
        Assert.False(((BencodeDictionary)BencodeDecoder.Decode(stripped)).TryGetValue("url-list"u8, out _));
        Assert.Equal(new WebSeedFile(40_000, 70_000, new Uri("http://origin.example/pool/a/two.deb")), layout!.Find("a/two.deb"));
        Assert.Equal(110_000, layout.Size);

        // A torrent with no web seed is left to the engine as it is.
        var plain = await TorrentBuilder.BuildAsync(
            new TorrentSpec { Name = "one.deb", SingleFile = true, PieceLength = 16384, Files = [new(Path.Combine(repository.Folder, "pool/a/one.deb"), ["one.deb"], 40_000)] },
            CancellationToken.None);
        Assert.False(WebSeedLayout.TryRead(plain.Metainfo, plain.InfoHash, out _, out _));
    }

    [Fact]
    public async Task The_relay_forwards_an_owned_range_byte_exact_clipped_at_its_run_and_defers_a_foreign_one()
    {
        using var repository = new TestRepository();
        const long block = WebSeedSlicing.BlockTarget;
        var bytes = repository.Add("iso/r.iso", (12 * (int)block) + 123);
        await using var origin = await StaticFileServer.StartAsync(repository.Folder, 0, CancellationToken.None);
        using var bed = await RelayBed.StartAsync(repository, origin, bytes.Length);
        var (relay, slicing, path, built, mine) = (bed.Relay, bed.Slicing, bed.Path, bed.Built, bed.Mine);
        var ownedRun = Enumerable.Range(0, 12).First(b => mine[b] && !mine[b + 1]);
        var runStart = ownedRun;
        while (runStart > 0 && mine[runStart - 1])
        {
            runStart--;
        }

        var foreignBlock = Array.IndexOf(mine, false);

        // A range inside an own block comes back exact.
        var at = (ownedRun * block) + 100;
        var inside = await SendAsync(relay, path, $"bytes={at}-{at + 19_999}");
        Assert.Equal(206, inside.Status);
        Assert.Equal(bytes[(int)at..(int)(at + 20_000)], inside.Body);
        Assert.False(inside.Aborted);

        // A range running on is announced in full, carries whole pieces up to the next 256 KiB (so the engine reads
        // all the origin sent) and ends short (Kestrel then closes the connection); it never runs into another
        // member's block.
        var from = runStart * block;
        var past = await SendAsync(relay, path, $"bytes={from}-{bytes.Length - 1}");
        Assert.Equal(206, past.Status);
        Assert.Equal($"bytes {from}-{bytes.Length - 1}/{bytes.Length}", past.ContentRange);
        Assert.Equal(bytes[(int)from..(int)(from + slicing.ForwardLength)], past.Body);
        Assert.Equal(bytes.Length - from, past.ContentLength);
        Assert.Equal(20_000 + past.Body.Length, slicing.ForwardedBytes);

        // A foreign range is deferred: redirected to itself, and every 16th time a 504 with Retry-After.
        // (Counted by the relay: the origin's own meter may still be counting the previous answer's last bytes.)
        var before = slicing.ForwardedBytes;
        var foreign = await SendAsync(relay, path, $"bytes={foreignBlock * block}-{bytes.Length - 1}");
        Assert.Equal(307, foreign.Status);
        Assert.Equal(path + "?hop=1", foreign.Location);
        var backOff = await SendAsync(relay, path, $"bytes={foreignBlock * block}-{bytes.Length - 1}", "?hop=15");
        Assert.Equal(504, backOff.Status);
        Assert.Equal(before, slicing.ForwardedBytes);

        // An unknown torrent or file is not found.
        Assert.Equal(404, (await SendAsync(relay, $"/webseed/{built.InfoHash}/other.iso", "bytes=0-9")).Status);
        Assert.Equal(404, (await SendAsync(relay, "/webseed/0123456789abcdef0123456789abcdef01234567/r.iso", "bytes=0-9")).Status);
    }

    [Fact]
    public async Task Once_the_origin_lost_the_file_the_relay_answers_404_so_the_engine_drops_its_uri_and_asks_the_origin_no_more()
    {
        using var repository = new TestRepository();
        var bytes = repository.Add("iso/r.iso", (12 * (int)WebSeedSlicing.BlockTarget) + 123);
        await using var origin = await StaticFileServer.StartAsync(repository.Folder, 0, CancellationToken.None);
        using var bed = await RelayBed.StartAsync(repository, origin, bytes.Length);
        File.Delete(Path.Combine(repository.Folder, "iso", "r.iso"));
        var owned = Array.IndexOf(bed.Mine, true) * WebSeedSlicing.BlockTarget;
        var foreign = Array.IndexOf(bed.Mine, false) * WebSeedSlicing.BlockTarget;

        // The origin's 404 is final: the relay passes it on (aria2 drops a URI on a 404; a 502 it retries for ever).
        Assert.Equal(404, (await SendAsync(bed.Relay, bed.Path, $"bytes={owned}-{owned + 9}")).Status);
        Assert.NotNull(bed.Slicing.Origin.GoneAt);
        Assert.Equal(new Uri(origin.BaseUrl, "iso/r.iso"), bed.Slicing.Origin.FailedUrl);
        Assert.Contains("404", bed.Slicing.Origin.Why, StringComparison.Ordinal);

        // From then on every range is a 404, a foreign one too (no deferral that would keep the URI alive), and the
        // origin is not asked again: even with the file back, nothing is forwarded (the agent's probe takes it from there).
        await File.WriteAllBytesAsync(Path.Combine(repository.Folder, "iso", "r.iso"), bytes);
        Assert.Equal(404, (await SendAsync(bed.Relay, bed.Path, $"bytes={foreign}-{foreign + 9}")).Status);
        Assert.Equal(404, (await SendAsync(bed.Relay, bed.Path, $"bytes={owned}-{owned + 9}")).Status);
        Assert.Equal(0, bed.Slicing.ForwardedBytes);
    }

    [Fact]
    public async Task An_origin_that_fails_for_another_reason_is_retried_until_five_failures_in_a_row_and_a_success_starts_the_count_again()
    {
        using var repository = new TestRepository();
        var bytes = repository.Add("iso/r.iso", (12 * (int)WebSeedSlicing.BlockTarget) + 123);
        var origin = await StaticFileServer.StartAsync(repository.Folder, 0, CancellationToken.None);
        using var bed = await RelayBed.StartAsync(repository, origin, bytes.Length);
        var owned = Array.IndexOf(bed.Mine, true) * WebSeedSlicing.BlockTarget;
        var range = $"bytes={owned}-{owned + 9}";
        var port = origin.BaseUrl.Port;
        await origin.DisposeAsync();

        // Refused four times: 502, which the engine retries after retry-wait.
        for (var i = 0; i < WebSeedOriginWatch.FailuresBeforeGone - 1; i++)
        {
            Assert.Equal(502, (await SendAsync(bed.Relay, bed.Path, range)).Status);
        }

        // Back on the same port: a success, so the count starts again.
        await using (var back = await StaticFileServer.StartAsync(repository.Folder, port, CancellationToken.None))
        {
            var served = await SendAsync(bed.Relay, bed.Path, range);
            Assert.Equal(206, served.Status);
            Assert.Equal(bytes[(int)owned..(int)(owned + 10)], served.Body);
        }

        for (var i = 0; i < WebSeedOriginWatch.FailuresBeforeGone - 1; i++)
        {
            Assert.Equal(502, (await SendAsync(bed.Relay, bed.Path, range)).Status);
        }

        Assert.Null(bed.Slicing.Origin.GoneAt);

        // The fifth in a row: gone, as aria2 would have dropped a published web seed after max-tries 5.
        Assert.Equal(404, (await SendAsync(bed.Relay, bed.Path, range)).Status);
        Assert.NotNull(bed.Slicing.Origin.GoneAt);
    }

    [Fact]
    public void The_origin_watch_offers_a_probe_only_once_gone_and_then_once_per_interval()
    {
        var watch = new WebSeedOriginWatch();
        var url = new Uri("http://origin.example/f");
        var interval = TimeSpan.FromSeconds(30);
        Assert.False(watch.TakeProbe(Added, interval));
        Assert.False(watch.Failed(missing: false, url, "refused", Added));
        Assert.False(watch.TakeProbe(Added, interval));
        Assert.True(watch.Failed(missing: true, url, "status 404", Added.AddSeconds(1)));
        Assert.Equal(Added.AddSeconds(1), watch.GoneAt);
        Assert.True(watch.TakeProbe(Added.AddSeconds(1), interval));
        Assert.False(watch.TakeProbe(Added.AddSeconds(30), interval));
        Assert.True(watch.TakeProbe(Added.AddSeconds(31), interval));
    }

    /// <summary>A relay for one single-file torrent of <c>iso/r.iso</c> on a real origin, sliced between v1 (this agent) and v2.</summary>
    private sealed class RelayBed : IDisposable
    {
        private readonly ServiceProvider _services;

        private RelayBed(ServiceProvider services, WebSeedRelay relay, WebSeedSlicing slicing, BuiltTorrent built, bool[] mine)
        {
            _services = services;
            Relay = relay;
            Slicing = slicing;
            Built = built;
            Mine = mine;
        }

        public WebSeedRelay Relay { get; }

        public WebSeedSlicing Slicing { get; }

        public BuiltTorrent Built { get; }

        /// <summary>For each ~1 MiB block (and one past the end), whether it is this agent's.</summary>
        public bool[] Mine { get; }

        public string Path => $"/webseed/{Built.InfoHash}/r.iso";

        public static async Task<RelayBed> StartAsync(TestRepository repository, StaticFileServer origin, long length)
        {
            const int pieceLength = 256 * 1024;
            var built = await TorrentBuilder.BuildAsync(
                new TorrentSpec { Name = "r.iso", SingleFile = true, PieceLength = pieceLength, WebSeeds = [new Uri(origin.BaseUrl, "iso/r.iso").AbsoluteUri], Files = [new(System.IO.Path.Combine(repository.Folder, "iso/r.iso"), ["r.iso"], length)] },
                CancellationToken.None);
            Assert.True(WebSeedLayout.TryRead(built.Metainfo, built.InfoHash, out var layout, out _));
            var slicing = new WebSeedSlicing(layout!, built.InfoHash, Added);
            var slice = new WebSeedSlice(WebSeedSlice.Token("v1"), [WebSeedSlice.Token("v1"), WebSeedSlice.Token("v2")]);
            slicing.Observe(slice);
            slicing.Observe(slice);
            var torrent = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(built.InfoHash.ToArray());
            var blocks = (int)((length + WebSeedSlicing.BlockTarget - 1) / WebSeedSlicing.BlockTarget);
            var mine = Enumerable.Range(0, blocks).Select(b => slice.OwnerOf(torrent, b) == slice.Self).ToArray();
            var state = new MirrorState();
            state.Add(new MirroredTorrent(new ManifestTorrent(built.InfoHash.ToString(), "r.iso", "iso", true, "t", pieceLength, length, false, null, null, ["iso/r.iso"]), built.InfoHash, "iso") { WebSeed = slicing });
            var services = new ServiceCollection().AddHttpClient().AddMetrics().BuildServiceProvider();
            var metrics = new AgentMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), state, new CustomerTransfers());
            var relay = new WebSeedRelay(state, services.GetRequiredService<IHttpClientFactory>(), Options.Create(new VolunteerAgentOptions { WebSeedDeferDelay = TimeSpan.Zero }), metrics, new ClippedAnswers(), new FakeTimeProvider(Added.AddSeconds(1)), NullLogger<WebSeedRelay>.Instance);
            return new RelayBed(services, relay, slicing, built, mine);
        }

        public void Dispose() => _services.Dispose();
    }

    private static async Task<(int Status, byte[] Body, bool Aborted, string ContentRange, string Location, long? ContentLength, string Connection)> SendAsync(WebSeedRelay relay, string path, string range, string query = "")
    {
        var context = new DefaultHttpContext();
        var aborted = new AbortFeature();
        context.Features.Set<IHttpRequestLifetimeFeature>(aborted);
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        context.Request.Headers.Range = range;
        using var body = new MemoryStream();
        context.Response.Body = body;
        await relay.HandleAsync(context);
        return (context.Response.StatusCode, body.ToArray(), aborted.Aborted, context.Response.Headers.ContentRange.ToString(), context.Response.Headers.Location.ToString(), context.Response.ContentLength, context.Response.Headers.Connection.ToString());
    }

    private static WebSeedLayout Layout(long size, int pieceLength)
    {
        var metainfo = new BencodeDictionary(new Dictionary<string, BencodeValue>
        {
            ["info"] = new BencodeDictionary(new Dictionary<string, BencodeValue>
            {
                ["length"] = new BencodeInteger(size),
                ["name"] = new BencodeString("f"),
                ["piece length"] = new BencodeInteger(pieceLength),
                ["pieces"] = new BencodeString(new byte[20]),
            }),
            ["url-list"] = new BencodeString("http://origin.example/f"),
        }).Encode();
        Assert.True(WebSeedLayout.TryRead(metainfo, InfoHash.OfMetainfo(metainfo), out var layout, out _));
        return layout!;
    }

    private static readonly InfoHash Hash = InfoHash.Parse("0123456789abcdef0123456789abcdef01234567");

    private static WebSeedSlicing Confirmed(WebSeedLayout layout, WebSeedSlice slice)
    {
        var slicing = new WebSeedSlicing(layout, Hash, Added);
        slicing.Observe(slice);
        slicing.Observe(slice);
        return slicing;
    }

    private static (WebSeedAction, string) Summary(WebSeedDecision decision) => (decision.Action, decision.Reason);

    private static SwarmPeer Peer(byte n, string? volunteer, bool seeder) =>
        new(new PeerId([.. Enumerable.Repeat(n, 20)]), PeerAddress.From(IPAddress.Loopback, (ushort)(6881 + n)), seeder, volunteer);

    private sealed class AbortFeature : IHttpRequestLifetimeFeature
    {
        public bool Aborted { get; private set; }

        public CancellationToken RequestAborted { get; set; }

        public void Abort() => Aborted = true;
    }
}
