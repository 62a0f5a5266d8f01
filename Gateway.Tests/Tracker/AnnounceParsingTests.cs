using System.Buffers;
using System.Net;
using System.Text;
using CsCheck;
using Gateway.Core.Announce;
using Gateway.Core.Bencode;
using Gateway.Core.Torrents;
using Gateway.Feedback.Http;
using Gateway.Feedback.Tracker;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tracker;

/// <summary>Announce parsing (property-based) and hostile input to both frontends.</summary>
public sealed class AnnounceParsingTests : IDisposable
{
    private readonly TrackerUnderUnitTest _t = new();

    [Fact]
    public void Any_info_hash_and_peer_id_bytes_survive_percent_encoding_exactly()
    {
        Gen.Select(Gen.Byte.Array[20], Gen.Byte.Array[20], Gen.Int[1, 65535], Gen.Long[0, long.MaxValue]).Sample((hash, peer, port, left) =>
        {
            var query = $"info_hash={TrackerTestBed.PercentEncode(hash)}&peer_id={TrackerTestBed.PercentEncode(peer)}&port={port}&uploaded=1&downloaded=2&left={left}&compact=1&event=started&x_up=5";
            Assert.True(AnnounceParser.TryParse(query, out var request, out var failure), failure);
            Assert.Equal(new InfoHash(hash), request.InfoHash);
            Assert.Equal(new PeerId(peer), request.PeerId);
            Assert.Equal((port, left, AnnounceEvent.Started, 5L), (request.Port, request.Left, request.Event, request.Feedback.UploadBytesPerSecond!.Value));
        });
    }

    [Fact]
    public void Unreserved_bytes_left_literal_by_clients_decode_to_themselves()
    {
        // aria2 sends e.g. %B3%D6t%BBp%A2: letters stay literal.
        var raw = "%B3%D6t%BBp%A2abcdefghijklmn";
        Assert.True(AnnounceParser.TryParse($"info_hash={raw}&peer_id={raw}&port=1&left=0", out var request, out _));
        Assert.Equal("b3d674bb70a2", request.InfoHash.ToString()[..12]);
    }

    [Theory]
    [InlineData("x_http_left=123456", true)]
    [InlineData("x_http_left=-1", false)]
    [InlineData("x_http_left=12kB", false)]
    [InlineData("x_http_left=99999999999999999999", false)]
    [InlineData("x_http_leftover=1", true)] // not ours: ignored like any unknown parameter
    public void The_bytes_left_parameter_is_a_whole_number_or_the_announce_fails_with_a_reason(string parameter, bool valid)
    {
        var query = $"info_hash={new string('a', 20)}&peer_id={new string('b', 20)}&port=1&left=0&{parameter}";
        Assert.Equal(valid, AnnounceParser.TryParse(query, out var request, out var failure));
        if (valid)
        {
            Assert.Equal(parameter == "x_http_left=123456" ? 123456L : null, request.Feedback.CustomerBytesLeft);
        }
        else
        {
            Assert.Contains("x_http_left", failure, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Random_queries_never_throw_and_fail_with_a_reason()
    {
        Gen.String.Sample(query =>
        {
            if (!AnnounceParser.TryParse(query, out _, out var failure))
            {
                Assert.False(string.IsNullOrEmpty(failure));
            }
        });
    }

    [Fact]
    public async Task A_non_compact_reply_lists_peers_as_dictionaries_without_the_requester()
    {
        var hash = TrackerTestBed.PercentEncode(TrackerUnderUnitTest.Torrent.ToArray());
        await HandleHttpAsync($"/announce?info_hash={hash}&peer_id=AAAAAAAAAAAAAAAAAAAA&port=1111&left=0", IPAddress.Parse("2001:db8::1"));
        var body = await HandleHttpAsync($"/announce?info_hash={hash}&peer_id=BBBBBBBBBBBBBBBBBBBB&port=2222&left=9");
        var peers = ((BencodeDictionary)BencodeDecoder.Decode(body)).Get<BencodeList>("peers"u8)!;
        var peer = (BencodeDictionary)Assert.Single(peers);
        Assert.Equal("2001:db8::1", peer.Get<BencodeString>("ip"u8)!.ToString());
        Assert.Equal("AAAAAAAAAAAAAAAAAAAA", peer.Get<BencodeString>("peer id"u8)!.ToString());
        Assert.Equal(1111, peer.Get<BencodeInteger>("port"u8)!.Value);

        // Compact: the IPv6 peer goes to peers6 (BEP 7), 18 bytes.
        var compact = (BencodeDictionary)BencodeDecoder.Decode(await HandleHttpAsync($"/announce?info_hash={hash}&peer_id=BBBBBBBBBBBBBBBBBBBB&port=2222&left=9&compact=1"));
        Assert.Equal(0, compact.Get<BencodeString>("peers"u8)!.Bytes.Length);
        Assert.Equal(18, compact.Get<BencodeString>("peers6"u8)!.Bytes.Length);
    }

    [Fact]
    public async Task Unknown_torrents_and_rate_limited_addresses_get_a_failure_reason()
    {
        var unknown = await HandleHttpAsync($"/announce?info_hash={new string('a', 20)}&peer_id={new string('b', 20)}&port=1&left=0");
        Assert.Contains(SwarmTracker.UnknownTorrent, Encoding.UTF8.GetString(unknown), StringComparison.Ordinal);

        using var limited = new TrackerUnderUnitTest(new TrackerOptions { RateLimitPerSecond = 1, RateLimitBurst = 2 });
        var replies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            replies.Add(Encoding.UTF8.GetString(await HandleHttpAsync("/scrape?info_hash=x", IPAddress.Loopback, limited.Http)));
        }

        Assert.Contains(HttpTrackerFrontend.RateLimited, replies[2], StringComparison.Ordinal);
        Assert.DoesNotContain(HttpTrackerFrontend.RateLimited, replies[0], StringComparison.Ordinal);
    }

    public void Dispose() => _t.Dispose();

    internal Task<byte[]> HandleHttpAsync(string target, IPAddress? from = null) => HandleHttpAsync(target, from ?? IPAddress.Loopback, _t.Http);

    internal static async Task<byte[]> HandleHttpAsync(string target, IPAddress from, HttpTrackerFrontend frontend)
    {
        var output = new ArrayBufferWriter<byte>();
        var status = await frontend.HandleAsync(isGet: true, target, from, output, CancellationToken.None);
        Assert.Equal(200, status);
        return output.WrittenSpan.ToArray();
    }

    internal static string RandomText(Random random)
    {
        var chars = new char[random.Next(0, 300)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = random.Next(4) == 0 ? "%&=?"[random.Next(4)] : (char)random.Next(0, 0x3000);
        }

        return new string(chars);
    }
}
