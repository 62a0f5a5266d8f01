using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tracker;

/// <summary>
/// The UDP loop polls its socket while datagrams stream in and sleeps when they stop; either way every datagram gets
/// its reply. (The gate's arithmetic is <see cref="PollGateTests"/>; this runs the loop through both ways of waiting.)
/// </summary>
public sealed class UdpPollingTests : IAsyncLifetime
{
    private const int InFlight = 32;
    private TrackerTestBed _bed = null!;

    public async Task InitializeAsync() => _bed = await TrackerTestBed.StartAsync(fileSize: 64 * 1024);

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task A_pipelined_stream_gets_every_reply_and_so_does_a_lone_request_after_the_stream_stops()
    {
        var tracker = new Uri(_bed.UdpUrl);
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        client.Connect(tracker.Host, tracker.Port);
        const int total = 20_000;
        var answered = new bool[total];
        var sent = 0;
        for (; sent < InFlight; sent++)
        {
            await client.SendAsync(Connect(sent));
        }

        for (var received = 0; received < total; received++)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var reply = await client.ReceiveAsync(timeout.Token);
            Assert.Equal(16, reply.Buffer.Length);
            var transaction = BinaryPrimitives.ReadInt32BigEndian(reply.Buffer.AsSpan(4));
            Assert.False(answered[transaction], $"transaction {transaction} answered twice");
            answered[transaction] = true;
            if (sent < total)
            {
                await client.SendAsync(Connect(sent++));
            }
        }

        Assert.All(answered, Assert.True);

        // Long enough for the loop to give up polling and sleep in the kernel; the next datagram must wake it.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await client.SendAsync(Connect(total));
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            var reply = await client.ReceiveAsync(timeout.Token);
            Assert.Equal(total, BinaryPrimitives.ReadInt32BigEndian(reply.Buffer.AsSpan(4)));
        }
    }

    private static byte[] Connect(int transaction)
    {
        var request = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(request, 0x41727101980);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(12), transaction);
        return request;
    }
}
