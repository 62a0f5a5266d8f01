using System.Net;
using System.Net.Sockets;
using Gateway.Agent;
using Gateway.Agent.Serving;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Agent;

/// <summary>
/// The agent's count of customer transfers still on the wire (what it reports as <c>x_http</c> when higher than
/// Kestrel's) and of their bytes not yet acknowledged (part of <c>x_http_left</c>).
/// </summary>
public sealed class WireTransfersTests
{
    [Fact]
    public void Only_established_connections_on_the_customers_port_with_bytes_in_flight_count()
    {
        string[] table =
        [
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0A00000A:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0", // listening on 8081
            "   1: 0A00000A:1F91 0100000A:D431 01 0001A2B0:00000000 01:00000014 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1", // sending: counts
            "   2: 0A00000A:1F91 0100000A:D432 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1", // idle keep-alive
            "   3: 0A00000A:1A0B 0B00000A:C350 01 00004000:00000000 01:00000014 00000000     0        0 4 1 0000000000000000 20 4 30 10 -1", // BitTorrent peer on 6667
            "   4: 0A00000A:1F91 0100000A:D433 08 00000010:00000000 00:00000000 00000000     0        0 5 1 0000000000000000 20 4 30 10 -1", // closing
            "   5: 0A00000A:1F91 0100000A:D434 01 00100000:00000000 01:00000014 00000000     0        0 6 1 0000000000000000 20 4 30 10 -1", // sending: counts
        ];

        Assert.Equal(new WireLoad(2, 0x1A2B0 + 0x100000), WireTransfers.Measure(table, 8081));
        Assert.Equal(new WireLoad(1, 0x4000), WireTransfers.Measure(table, 6667));
        Assert.Equal(default, WireTransfers.Measure(table, 80));
    }

    [Fact]
    public async Task A_response_counts_while_its_bytes_wait_in_the_socket_and_stops_once_the_customer_has_them()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var wire = new WireTransfers(new AgentEndpoints { ListenUrl = new Uri($"http://127.0.0.1:{port}/") });
        using var customer = new TcpClient(AddressFamily.InterNetwork) { ReceiveBufferSize = 64 * 1024 };
        await customer.ConnectAsync(IPAddress.Loopback, port);
        using var served = await listener.AcceptSocketAsync();
        Assert.Equal(default, wire.Measure());

        // The whole body goes into the kernel (as Kestrel's write does) while the customer has not read it yet.
        var body = new byte[2 * 1024 * 1024];
        var sending = served.SendAsync(body, SocketFlags.None);
        await Eventually.HoldsAsync(() => wire.Measure() is { Transfers: 1, QueuedBytes: > 0 }, TimeSpan.FromSeconds(10), () => $"{wire.Measure()} on the wire");

        var stream = customer.GetStream();
        var buffer = new byte[64 * 1024];
        for (var received = 0; received < body.Length;)
        {
            received += await stream.ReadAsync(buffer);
        }

        await sending;
        await Eventually.HoldsAsync(() => wire.Measure() == default, TimeSpan.FromSeconds(10), () => $"{wire.Measure()} on the wire");
    }
}
