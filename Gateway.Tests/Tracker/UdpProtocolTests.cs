using System.Buffers.Binary;
using System.Net;
using System.Text;
using Gateway.Core.Torrents;
using Gateway.Feedback.Udp;

namespace Gateway.Tests.Tracker;

/// <summary>BEP 15 packets, byte for byte (all integers big-endian).</summary>
public sealed class UdpProtocolTests : IDisposable
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("10.1.2.3"), 40000);
    private static readonly byte[] ClientSource = [2, 0, 0x9c, 0x40, 10, 1, 2, 3];
    private readonly TrackerUnderUnitTest _t = new();

    [Fact]
    public async Task Connect_answers_action_0_the_transaction_id_and_a_connection_id_derived_from_the_address()
    {
        var request = Convert.FromHexString("0000041727101980" + "00000000" + "cafebabe");
        var reply = await SendAsync(request);
        Assert.Equal(16, reply.Length);
        Assert.Equal(Convert.FromHexString("00000000cafebabe"), reply[..8]);
        Assert.Equal(_t.ConnectionIds.Issue(ClientSource), BinaryPrimitives.ReadInt64BigEndian(reply.AsSpan(8)));
    }

    [Theory]
    [InlineData(0, 0x726fdb47dd0e0e31UL)]
    [InlineData(8, 0x93f5f5799a932462UL)]
    [InlineData(15, 0xa129ca6149be45e5UL)]
    public void Connection_ids_use_sip_hash_2_4_as_its_reference_vectors_define_it(int length, ulong expected)
    {
        // The paper's test vectors: key 00 01 … 0f, message 00 01 … (length - 1).
        var message = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        Assert.Equal(expected, UdpConnectionIds.SipHash24(0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL, message));
    }

    [Theory]
    [InlineData("10.1.2.3", 40000)]
    [InlineData("2001:db8::7", 6881)]
    [InlineData("::ffff:10.1.2.3", 5)]
    public void A_raw_socket_address_gives_the_same_peer_address_as_its_endpoint(string address, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        var raw = endPoint.Serialize();
        Assert.Equal(PeerAddress.From(endPoint.Address, (ushort)port), PeerAddress.From(raw));
        Assert.Equal(PeerAddress.From(endPoint.Address, (ushort)port), PeerAddress.FromLinuxSocketAddress(raw.Buffer.Span[..raw.Size]));
    }

    [Fact]
    public async Task A_connection_id_from_one_source_address_is_refused_from_another()
    {
        var request = Announce(peerId: 0x11, left: 0, port: 6881);
        byte[] otherSource = [2, 0, 0x9c, 0x40, 10, 1, 2, 4];
        var reply = await SendAsync(request, new IPEndPoint(IPAddress.Parse("10.1.2.4"), 40000), otherSource);
        Assert.Equal(UdpTrackerProtocol.ActionError, BinaryPrimitives.ReadInt32BigEndian(reply));
    }

    [Fact]
    public async Task Announce_answers_interval_leechers_seeders_and_6_bytes_per_ipv4_peer()
    {
        // Another peer (a seeder at 10.9.9.9:6881) first, then our announce from 10.1.2.3 as a leecher.
        byte[] otherSource = [2, 0, 0, 1, 10, 9, 9, 9];
        var other = Announce(peerId: 0x22, left: 0, port: 6881, otherSource);
        Assert.Equal(20, (await SendAsync(other, new IPEndPoint(IPAddress.Parse("10.9.9.9"), 1), otherSource)).Length);

        var reply = await SendAsync(Announce(peerId: 0x11, left: 1000, port: 51413));
        var expected = Convert.FromHexString(
            "00000001" + "12345678" + // action announce, transaction id
            "0000012c" + // interval 300 s
            "00000001" + // leechers: us
            "00000001" + // seeders: the other
            "0a090909" + "1ae1"); // 10.9.9.9:6881
        Assert.Equal(expected, reply);
    }

    [Fact]
    public async Task Scrape_answers_seeders_completed_leechers_per_hash()
    {
        await SendAsync(Announce(peerId: 0x11, left: 0, port: 6881));
        var request = new byte[16 + 20];
        BinaryPrimitives.WriteInt64BigEndian(request, _t.ConnectionIds.Issue(ClientSource));
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), UdpTrackerProtocol.ActionScrape);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(12), 7);
        TrackerUnderUnitTest.Torrent.CopyTo(request.AsSpan(16));
        Assert.Equal(Convert.FromHexString("00000002" + "00000007" + "00000001" + "00000000" + "00000000"), await SendAsync(request));
    }

    [Fact]
    public async Task An_announce_with_an_unknown_connection_id_gets_an_error_packet()
    {
        var request = Announce(peerId: 0x11, left: 0, port: 6881);
        BinaryPrimitives.WriteInt64BigEndian(request, 42);
        var reply = await SendAsync(request);
        Assert.Equal(Convert.FromHexString("0000000312345678"), reply[..8]);
        Assert.Contains("connect again", Encoding.UTF8.GetString(reply.AsSpan(8)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_id_expires_after_two_windows()
    {
        var request = Announce(peerId: 0x11, left: 0, port: 6881);
        _t.Time.Advance(UdpConnectionIds.Window);
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(await SendAsync(request)));
        _t.Time.Advance(UdpConnectionIds.Window);
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(await SendAsync(request)));
    }

    [Fact]
    public async Task A_bep41_url_path_with_a_key_makes_the_seeder_a_holder()
    {
        var url = Encoding.ASCII.GetBytes($"/announce/{TrackerUnderUnitTest.Key}?x_http=3&x_http_left=123456");
        var request = Announce(peerId: 0x11, left: 0, port: 6881).Concat(new byte[] { 2, (byte)url.Length }).Concat(url).Concat(new byte[] { 0 }).ToArray();
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(await SendAsync(request)));
        var snapshot = await _t.Swarms.GetSnapshotAsync(CancellationToken.None);
        Assert.Equal(TrackerUnderUnitTest.Contents.Order(), snapshot.Holdings["v1"].Order());
        Assert.Equal((3, 123456L), (snapshot.Loads["v1"].ActiveTransfers, snapshot.Loads["v1"].CustomerBytesLeft));
    }

    [Fact]
    public async Task A_keyed_udp_announce_is_told_the_volunteer_interval_and_an_anonymous_one_the_long_interval()
    {
        var url = Encoding.ASCII.GetBytes($"/announce/{TrackerUnderUnitTest.Key}?x_http=1");
        var keyed = Announce(peerId: 0x11, left: 0, port: 6881).Concat(new byte[] { 2, (byte)url.Length }).Concat(url).Concat(new byte[] { 0 }).ToArray();
        var anonymous = Announce(peerId: 0x22, left: 0, port: 6882).Concat(new byte[] { 0, 0 }).ToArray();

        // BEP 15 has room for the interval only (bytes 8-11), not the min interval.
        Assert.Equal(30, BinaryPrimitives.ReadInt32BigEndian((await SendAsync(keyed)).AsSpan(8)));
        Assert.Equal(300, BinaryPrimitives.ReadInt32BigEndian((await SendAsync(anonymous)).AsSpan(8)));
    }

    [Fact]
    public async Task A_udp_seeder_without_url_data_is_in_the_swarm_but_never_a_holder()
    {
        // aria2 1.36's announce: the 98 bytes and a zero extensions field, so a key in its tracker URL never arrives.
        var request = Announce(peerId: 0x11, left: 0, port: 6881).Concat(new byte[] { 0, 0 }).ToArray();
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(await SendAsync(request)));
        Assert.Equal(1, (await _t.Peers.ScrapeAsync(TrackerUnderUnitTest.Torrent, CancellationToken.None)).Seeders);
        var snapshot = await _t.Swarms.GetSnapshotAsync(CancellationToken.None);
        Assert.Empty(snapshot.Holdings);
        Assert.Empty(snapshot.Loads);
    }

    [Fact]
    public void The_batch_loops_message_header_has_the_size_of_a_64_bit_linux_mmsghdr()
    {
        Assert.Equal(64, UdpBatchLoop.MessageHeaderSize);
    }

    public void Dispose() => _t.Dispose();

    private byte[] Announce(byte peerId, long left, ushort port, byte[]? source = null)
    {
        var packet = new byte[UdpTrackerProtocol.AnnounceLength];
        BinaryPrimitives.WriteInt64BigEndian(packet, _t.ConnectionIds.Issue(source ?? ClientSource));
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), UdpTrackerProtocol.ActionAnnounce);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(12), 0x12345678);
        TrackerUnderUnitTest.Torrent.CopyTo(packet.AsSpan(16));
        packet.AsSpan(36, 20).Fill(peerId);
        BinaryPrimitives.WriteInt64BigEndian(packet.AsSpan(64), left);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(92), -1);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(96), port);
        return packet;
    }

    private Task<byte[]> SendAsync(byte[] request) => SendAsync(request, Client, ClientSource);

    private async Task<byte[]> SendAsync(byte[] request, IPEndPoint from, byte[] source)
    {
        var reply = new byte[UdpTrackerProtocol.MaxReplyLength];
        var length = await _t.Udp.HandleAsync(request, from, source, reply, CancellationToken.None);
        return reply[..length];
    }
}
