using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tracker;

/// <summary>The UDP receive loop's buffers live as long as the loop: garbage collections never silence it.</summary>
[Collection(nameof(MemoryMeasurement))]
public sealed class UdpLoopLifetimeTests : IAsyncLifetime
{
    private TrackerTestBed _bed = null!;

    public async Task InitializeAsync() => _bed = await TrackerTestBed.StartAsync(fileSize: 64 * 1024);

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task The_udp_tracker_answers_every_connect_across_full_compacting_garbage_collections()
    {
        var tracker = new Uri(_bed.UdpUrl);
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        client.Connect(tracker.Host, tracker.Port);
        var request = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(request, 0x41727101980);
        for (var round = 0; round < 5; round++)
        {
            // Full, compacting collections: anything the loop reaches only through a raw pointer would be freed here
            // (after the first round the loop runs optimized code, in which a local's last use ends its life).
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);

            // Fill the pinned heap with garbage of the loop's small buffer sizes, so freed memory would be reused.
            var filler = Enumerable.Range(0, 4000).Select(n => Garbage(16 << (n % 4))).ToArray();
            for (var i = 0; i < 5000; i++)
            {
                var transaction = (round * 100_000) + i;
                BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(12), transaction);
                await client.SendAsync(request);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                var reply = await client.ReceiveAsync(timeout.Token);
                Assert.Equal(16, reply.Buffer.Length);
                Assert.Equal(transaction, BinaryPrimitives.ReadInt32BigEndian(reply.Buffer.AsSpan(4)));
            }

            GC.KeepAlive(filler);
        }
    }

    private static byte[] Garbage(int length)
    {
        var array = GC.AllocateArray<byte>(length, pinned: true);
        array.AsSpan().Fill(0xA5);
        return array;
    }
}
