using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Ports for servers a test starts on a port it chose (a child process, or a server it stops and starts again on the
/// same port). They are drawn below the kernel's ephemeral range (32768-60999 here): a port the kernel handed out
/// for "port 0" can be taken by any outgoing connection as its local port between the check and the bind, which made
/// an agent restarted on its port fail with "address already in use" while aria2 and HTTP clients were connecting.
/// </summary>
internal static class TestPorts
{
    private const int First = 20_000;
    private const int End = 32_768;

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on now.</summary>
    public static int Tcp() => Find(port =>
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
    });

    /// <summary>A UDP port on 127.0.0.1 that nothing is bound to now.</summary>
    public static int Udp() => Find(port =>
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
    });

    private static int Find(Action<int> bind)
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = Random.Shared.Next(First, End);
            try
            {
                bind(port);
                return port;
            }
            catch (SocketException)
            {
                // Taken: draw again.
            }
        }

        throw new InvalidOperationException($"No free port in {First}-{End - 1} after 500 draws.");
    }
}
