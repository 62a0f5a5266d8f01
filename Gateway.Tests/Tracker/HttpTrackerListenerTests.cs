using System.Net;
using System.Net.Sockets;
using System.Text;
using CsCheck;
using Gateway.Feedback.Http;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Tracker;

/// <summary>The tracker's own HTTP server on loopback: what it answers, and how it holds up against slow, large and many connections.</summary>
public sealed class HttpTrackerListenerTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly TrackerUnderUnitTest _t = new();
    private readonly HttpTrackerListener _listener;
    private readonly string _scrape = "/scrape?info_hash=" + TrackerTestBed.PercentEncode(TrackerUnderUnitTest.Torrent.ToArray());

    public HttpTrackerListenerTests()
    {
        _t.Options.HttpMaxConnections = 3;
        _t.Options.HttpRequestTimeout = Deadline;
        _listener = new HttpTrackerListener(_t.Http, Microsoft.Extensions.Options.Options.Create(_t.Options), _t.Time, NullLogger<HttpTrackerListener>.Instance);
        _listener.Start([new IPEndPoint(IPAddress.Loopback, 0)]);
    }

    private int Port => _listener.EndPoints[0].Port;

    [Fact]
    public async Task An_announce_with_connection_close_gets_a_bencoded_reply_with_its_length_and_the_connection_closes()
    {
        var query = $"info_hash={TrackerTestBed.PercentEncode(TrackerUnderUnitTest.Torrent.ToArray())}&peer_id=-XX0001-012345678901&port=6881&uploaded=0&downloaded=0&left=0&compact=1";
        var (status, head, body) = await RawHttp.GetAsync(Port, "/announce?" + query);
        Assert.Equal(200, status);
        Assert.Contains("Connection: close", head, StringComparison.Ordinal);
        Assert.Contains($"Content-Length: {body.Length}", head, StringComparison.Ordinal);
        Assert.StartsWith("d8:completei1e10:incompletei0e8:intervali300e", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipelined_requests_on_a_kept_alive_connection_are_answered_in_order_until_connection_close()
    {
        var (_, head, body) = await RawHttp.SendAsync(Port,
            $"GET {_scrape} HTTP/1.1\r\nHost: x\r\n\r\nGET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.Contains("Connection: keep-alive", head, StringComparison.Ordinal);
        Assert.StartsWith("d5:filesd20:", body, StringComparison.Ordinal);
        Assert.EndsWith("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_head_that_arrives_in_pieces_is_answered_once_it_is_whole()
    {
        using var client = await ConnectAsync();
        var request = Encoding.ASCII.GetBytes($"GET {_scrape} HTTP/1.0\r\n\r\n");
        foreach (var part in request.Chunk(7))
        {
            await client.SendAsync(part);
            await Task.Yield();
        }

        var response = await ReadToEndAsync(client);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST /announce HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405)]
    [InlineData("GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404)]
    [InlineData("GET /announce HTTP/2.0\r\n\r\n", 400)]
    [InlineData("GET announce HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET /announce\r\n\r\n", 400)]
    [InlineData("GET /announce HTTP/1.1\r\nno colon here\r\n\r\n", 400)]
    [InlineData("GET /announce HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 400)]
    [InlineData("GET /announce HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)]
    public async Task Malformed_requests_other_methods_and_other_paths_get_an_http_error_status(string request, int expected)
    {
        var (status, _, _) = await RawHttp.SendAsync(Port, request);
        Assert.Equal(expected, status);
    }

    [Fact]
    public async Task A_head_longer_than_the_limit_gets_431_and_the_connection_closes()
    {
        var request = $"GET /announce?{new string('a', HttpTrackerListener.MaxHeadLength)} HTTP/1.1\r\n\r\n";
        var (status, head, _) = await RawHttp.SendAsync(Port, request);
        Assert.Equal(431, status);
        Assert.Contains("Connection: close", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_head_is_disconnected_at_the_request_deadline()
    {
        using var client = await ConnectAsync();
        await client.SendAsync("GET /announce?info_hash="u8.ToArray());
        await Eventually.HoldsAsync(() => _listener.OpenConnections == 1, TimeSpan.FromSeconds(10), () => $"{_listener.OpenConnections} open");
        Assert.False(IsClosed(client), "closed before its deadline");

        // The deadline runs on the tracker's clock: move it past the timeout until the server has armed it.
        await Eventually.HoldsAsync(
            () =>
            {
                _t.Time.Advance(Deadline + TimeSpan.FromSeconds(1));
                return IsClosed(client);
            },
            TimeSpan.FromSeconds(10),
            () => $"{_listener.OpenConnections} open");
        await Eventually.HoldsAsync(() => _listener.OpenConnections == 0, TimeSpan.FromSeconds(10), () => $"{_listener.OpenConnections} open");
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_closed_at_accept_and_served_again_once_one_ends()
    {
        var slow = new List<Socket>();
        for (var i = 0; i < _t.Options.HttpMaxConnections; i++)
        {
            var client = await ConnectAsync();
            slow.Add(client);
            await client.SendAsync("GET /"u8.ToArray());
            await Eventually.HoldsAsync(() => _listener.OpenConnections == slow.Count, TimeSpan.FromSeconds(10), () => $"{_listener.OpenConnections} open");
        }

        using (var refused = await ConnectAsync())
        {
            await refused.SendAsync(Encoding.ASCII.GetBytes($"GET {_scrape} HTTP/1.0\r\n\r\n"));
            Assert.Equal(string.Empty, await ReadToEndAsync(refused));
        }

        slow[0].Dispose();
        await Eventually.HoldsAsync(() => _listener.OpenConnections < slow.Count, TimeSpan.FromSeconds(10), () => $"{_listener.OpenConnections} open");
        var (status, _, _) = await RawHttp.GetAsync(Port, _scrape);
        Assert.Equal(200, status);
        slow.ForEach(s => s.Dispose());
    }

    [Fact]
    public void Any_bytes_as_a_request_head_parse_or_fail_without_throwing()
    {
        var text = Gen.OneOf(
            Gen.Byte.Array[0, 300],
            Gen.Const("GET / HTTP/1.1\r\n"u8.ToArray()).SelectMany(prefix => Gen.Char["\r\n :,GETPOSHclose-ka/"].Array[0, 60].Select(rest => prefix.Concat(Encoding.Latin1.GetBytes(rest)).Concat("\r\n\r\n"u8.ToArray()).ToArray())));
        text.Sample(bytes =>
        {
            if (RequestHead.TryParse(bytes, out var head))
            {
                Assert.InRange(head.TargetStart + head.TargetLength, 1, bytes.Length);
            }
        });
    }

    public void Dispose()
    {
        _listener.StopAsync().GetAwaiter().GetResult();
        _listener.Dispose();
        _t.Dispose();
    }

    private static bool IsClosed(Socket client) => client.Poll(0, SelectMode.SelectRead) && client.Available == 0;

    private async Task<Socket> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, Port);
        return client;
    }

    private static async Task<string> ReadToEndAsync(Socket client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[65536];
        var filled = 0;
        try
        {
            int read;
            while ((read = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, timeout.Token)) > 0)
            {
                filled += read;
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed at accept with our request unread: a reset is as good as an end.
        }

        return Encoding.Latin1.GetString(buffer, 0, filled);
    }
}
