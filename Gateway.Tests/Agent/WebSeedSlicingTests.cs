using System.Buffers;
using System.Net;
using Gateway.Agent;
using Gateway.Agent.WebSeed;
using Gateway.Catalog;
using Gateway.Demo;
using Gateway.Feedback.Bencode;
using Gateway.Feedback.Torrents;
using Gateway.Feedback.Tracker;
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
    public void The_tracker_gives_each_keyed_leecher_of_a_fully_listed_swarm_its_own_slice()
    {
        var peers = new Dictionary<string, SwarmPeer>
        {
            ["v1"] = Peer(1, "v1", seeder: false),
            ["v2"] = Peer(2, "v2", seeder: false),
            ["v3"] = Peer(3, "v3", seeder: false),
        };
        SwarmPeer[] others = [Peer(4, null, seeder: false), Peer(5, "v9", seeder: true)];
        var counts = new SwarmCounts(Seeders: 1, Leechers: 4, Completed: 0);
        var slices = peers.Keys.Select(id => WebSeedSlice.Assign(id, [.. peers.Where(p => p.Key != id).Select(p => p.Value), .. others], counts)).ToList();

        // Anonymous leechers and seeders own no slice; the three keyed leechers share three.
        Assert.All(slices, s => Assert.Equal(3, s!.Value.Count));
        Assert.Equal([0, 1, 2], slices.Select(s => s!.Value.Index).Order());
    }

    [Fact]
    public void A_reply_that_lists_only_a_sample_of_the_swarm_carries_no_slice()
    {
        var counts = new SwarmCounts(Seeders: 0, Leechers: 60, Completed: 0);
        Assert.Null(WebSeedSlice.Assign("v1", [Peer(2, "v2", seeder: false)], counts));
    }

    [Fact]
    public void The_slice_rides_on_the_announce_reply_and_the_relay_reads_it_back()
    {
        var withSlice = new ArrayBufferWriter<byte>();
        AnnounceResponseWriter.WriteAnnounce(withSlice, new AnnounceResult(null, new SwarmCounts(0, 3, 0), 0, 60, 30) { Slice = new WebSeedSlice(2, 3) }, [], compact: true, noPeerId: true);
        var without = new ArrayBufferWriter<byte>();
        AnnounceResponseWriter.WriteAnnounce(without, new AnnounceResult(null, new SwarmCounts(0, 3, 0), 0, 60, 30), [], compact: true, noPeerId: true);

        // Still a canonical reply (keys in order) that any client decodes.
        Assert.IsType<BencodeDictionary>(BencodeDecoder.Decode(withSlice.WrittenMemory));
        Assert.Equal(new WebSeedSlice(2, 3), AnnounceRelay.ReadSlice(withSlice.WrittenSpan.ToArray()));
        Assert.Null(AnnounceRelay.ReadSlice(without.WrittenSpan.ToArray()));
        Assert.Null(AnnounceRelay.ReadSlice("not bencode"u8.ToArray()));
    }

    [Theory]
    [InlineData(2, 7)]
    [InlineData(3, 3)]
    [InlineData(8, 77)]
    [InlineData(5, 1000)]
    public void Every_piece_has_exactly_one_owner_and_a_slice_is_forwarded_up_to_its_end(int members, int pieces)
    {
        const long pieceLength = 16384;
        var layout = Layout(pieces * pieceLength - 100, (int)pieceLength);
        var agents = Enumerable.Range(0, members).Select(i =>
        {
            var slicing = new WebSeedSlicing(layout, Added);
            slicing.Observe(new WebSeedSlice(i, members));
            return slicing;
        }).ToList();

        for (var piece = 0L; piece < pieces; piece++)
        {
            var offset = (piece * pieceLength) + 5;
            var owners = agents.Select(a => a.Decide(offset, 1, Added.AddSeconds(1), Settle, Stall)).Where(d => d.Action == WebSeedAction.Forward).ToList();
            var owner = Assert.Single(owners);
            Assert.Equal("slice", owner.Reason);
            Assert.True(owner.End > offset && owner.End <= layout.Size, $"piece {piece}: end {owner.End}");

            // The forwarded run ends where the next owner's begins (or at the end).
            var lastPiece = (owner.End - 1) / pieceLength;
            Assert.Equal(owner, agents.Select(a => a.Decide(lastPiece * pieceLength, 1, Added.AddSeconds(1), Settle, Stall)).Single(d => d.Action == WebSeedAction.Forward));
        }
    }

    [Fact]
    public void Without_a_slice_or_alone_an_agent_defers_while_settling_then_fetches_everything()
    {
        var layout = Layout(1_000_000, 16384);
        var none = new WebSeedSlicing(layout, Added);
        var alone = new WebSeedSlicing(layout, Added);
        alone.Observe(new WebSeedSlice(0, 1));

        Assert.Equal(WebSeedAction.Defer, none.Decide(500_000, 0, Added.AddSeconds(1), Settle, Stall).Action);
        Assert.Equal(WebSeedAction.Defer, alone.Decide(500_000, 0, Added.AddSeconds(1), Settle, Stall).Action);
        Assert.Equal(new WebSeedDecision(WebSeedAction.Forward, layout.Size, "no slice"), none.Decide(500_000, 0, Added + Settle, Settle, Stall));
        Assert.Equal(new WebSeedDecision(WebSeedAction.Forward, layout.Size, "alone"), alone.Decide(500_000, 0, Added + Settle, Settle, Stall));
    }

    [Fact]
    public void A_foreign_range_is_fetched_once_the_torrent_made_no_progress_for_the_stall_time()
    {
        var slicing = new WebSeedSlicing(Layout(1_000_000, 16384), Added);
        slicing.Observe(new WebSeedSlice(0, 2));
        const long foreign = 900_000;

        // Progress keeps deferring; none for the stall time (an owner gone, peers that choke) gives up on slicing.
        Assert.Equal(WebSeedAction.Defer, slicing.Decide(foreign, 100, Added.AddSeconds(4), Settle, Stall).Action);
        Assert.Equal(WebSeedAction.Defer, slicing.Decide(foreign, 200, Added.AddSeconds(8), Settle, Stall).Action);
        Assert.Equal(WebSeedAction.Defer, slicing.Decide(foreign, 200, Added.AddSeconds(12.9), Settle, Stall).Action);
        Assert.Equal(new WebSeedDecision(WebSeedAction.Forward, 1_000_000, "stalled"), slicing.Decide(foreign, 200, Added.AddSeconds(13), Settle, Stall));
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
    public async Task The_relay_forwards_an_owned_range_byte_exact_clipped_at_its_slice_and_defers_a_foreign_one()
    {
        using var repository = new TestRepository();
        const int pieceLength = 16384;
        var bytes = repository.Add("iso/r.iso", (10 * pieceLength) + 123);
        var meter = new ResponseMeter(0);
        await using var origin = await StaticFileServer.StartAsync(repository.Folder, 0, CancellationToken.None, meter);
        var built = await TorrentBuilder.BuildAsync(
            new TorrentSpec { Name = "r.iso", SingleFile = true, PieceLength = pieceLength, WebSeeds = [new Uri(origin.BaseUrl, "iso/r.iso").AbsoluteUri], Files = [new(Path.Combine(repository.Folder, "iso/r.iso"), ["r.iso"], bytes.Length)] },
            CancellationToken.None);
        Assert.True(WebSeedLayout.TryRead(built.Metainfo, built.InfoHash, out var layout, out _));
        var time = new FakeTimeProvider(Added.AddSeconds(1));
        var state = new MirrorState();
        var slicing = new WebSeedSlicing(layout!, Added);
        slicing.Observe(new WebSeedSlice(0, 2));
        state.Add(new MirroredTorrent(new ManifestTorrent(built.InfoHash.ToString(), "r.iso", "iso", true, "t", pieceLength, bytes.Length, false, null, null, ["iso/r.iso"]), built.InfoHash, "iso") { WebSeed = slicing });
        using var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var relay = new WebSeedRelay(state, services.GetRequiredService<IHttpClientFactory>(), Options.Create(new VolunteerAgentOptions { WebSeedDeferDelay = TimeSpan.Zero }), time, NullLogger<WebSeedRelay>.Instance);
        var path = $"/webseed/{built.InfoHash}/r.iso";

        // Slice 0 of 2 is pieces 0-4 (10 full pieces and a short one: 11). A range inside it comes back exact.
        var inside = await SendAsync(relay, path, "bytes=100-20099");
        Assert.Equal(206, inside.Status);
        Assert.Equal(bytes[100..20100], inside.Body);
        Assert.False(inside.Aborted);

        // A range running past the slice is announced in full, carries the slice's bytes and is cut there.
        var past = await SendAsync(relay, path, $"bytes={4 * pieceLength}-{bytes.Length - 1}");
        Assert.Equal(206, past.Status);
        Assert.Equal($"bytes {4 * pieceLength}-{bytes.Length - 1}/{bytes.Length}", past.ContentRange);
        Assert.Equal(bytes[(4 * pieceLength)..(6 * pieceLength)], past.Body);
        Assert.True(past.Aborted);
        Assert.Equal(20000 + (2 * pieceLength), slicing.ForwardedBytes);

        // A foreign range is deferred: redirected to itself, and every 16th time a 504 with Retry-After.
        var before = meter.BytesSent;
        var foreign = await SendAsync(relay, path, $"bytes={7 * pieceLength}-{bytes.Length - 1}");
        Assert.Equal(307, foreign.Status);
        Assert.Equal(path + "?hop=1", foreign.Location);
        var backOff = await SendAsync(relay, path, $"bytes={7 * pieceLength}-{bytes.Length - 1}", "?hop=15");
        Assert.Equal(504, backOff.Status);
        Assert.Equal(before, meter.BytesSent);

        // An unknown torrent or file is not found.
        Assert.Equal(404, (await SendAsync(relay, $"/webseed/{built.InfoHash}/other.iso", "bytes=0-9")).Status);
        Assert.Equal(404, (await SendAsync(relay, "/webseed/0123456789abcdef0123456789abcdef01234567/r.iso", "bytes=0-9")).Status);
    }

    private static async Task<(int Status, byte[] Body, bool Aborted, string ContentRange, string Location)> SendAsync(WebSeedRelay relay, string path, string range, string query = "")
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
        return (context.Response.StatusCode, body.ToArray(), aborted.Aborted, context.Response.Headers.ContentRange.ToString(), context.Response.Headers.Location.ToString());
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

    private static SwarmPeer Peer(byte n, string? volunteer, bool seeder) =>
        new(new PeerId([.. Enumerable.Repeat(n, 20)]), PeerAddress.From(IPAddress.Loopback, (ushort)(6881 + n)), seeder, volunteer);

    private sealed class AbortFeature : IHttpRequestLifetimeFeature
    {
        public bool Aborted { get; private set; }

        public CancellationToken RequestAborted { get; set; }

        public void Abort() => Aborted = true;
    }
}
