using System.Net;
using Gateway.Feedback.Udp;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tracker;

/// <summary>Runs alone: its memory bound reads the whole process's heap, which parallel tests would disturb.</summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

/// <summary>Hostile input to both frontends: nothing escapes, and the tracker keeps no state for it.</summary>
[Collection(nameof(MemoryMeasurement))]
public sealed class HostileRequestTests : IDisposable
{
    private readonly TrackerUnderUnitTest _t = new();

    [Fact]
    public async Task A_hundred_thousand_random_and_truncated_http_and_udp_requests_raise_nothing_and_leave_memory_bounded()
    {
        var random = new Random(3);
        var valid = $"info_hash={TrackerTestBed.PercentEncode(TrackerUnderUnitTest.Torrent.ToArray())}&peer_id=-XX0001-012345678901&port=6881&uploaded=0&downloaded=0&left=5&compact=1";
        var udpValid = new byte[120];
        random.NextBytes(udpValid);
        var reply = new byte[UdpTrackerProtocol.MaxReplyLength];
        var from = new IPEndPoint(IPAddress.Loopback, 5000);
        byte[] source = [2, 0, 0x13, 0x88, 127, 0, 0, 1];
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < 100_000; i++)
        {
            // Half truncations of a valid announce, half random bytes as a query; every one must be answered.
            var query = i % 2 == 0 ? valid[..random.Next(valid.Length + 1)] : AnnounceParsingTests.RandomText(random);
            var body = await AnnounceParsingTests.HandleHttpAsync((i % 3 == 0 ? "/scrape?" : "/announce?") + query, IPAddress.Loopback, _t.Http);
            Assert.True(body.Length > 0 && body[0] == (byte)'d', $"no bencoded reply to {query}");

            var packet = new byte[random.Next(0, 200)];
            random.NextBytes(packet);
            if (packet.Length >= 16 && i % 2 == 0)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(packet, _t.ConnectionIds.Issue(source));
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), 1 + (i % 2));
            }

            await _t.Udp.HandleAsync(packet, from, source, reply, CancellationToken.None);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(after - before < 16 * 1024 * 1024, $"memory grew by {(after - before) / 1024} KiB over 100,000 hostile requests");
    }

    public void Dispose() => _t.Dispose();
}
