using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A customer on a slow line: a raw HTTP/1.1 GET on a socket with a small receive buffer that reads only when
/// told, so the server's transfer stays in flight (TCP back-pressure) as long as the test wants.
/// </summary>
public sealed class SlowCustomer : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly MemoryStream _received = new();

    private SlowCustomer(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>Sends the request and reads the first bytes (the status line and headers).</summary>
    public static async Task<SlowCustomer> StartAsync(Uri url)
    {
        var client = new TcpClient { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(url.Host, url.Port);
        var customer = new SlowCustomer(client);
        var request = $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nConnection: close\r\n\r\n";
        await customer._stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        await customer.ReadSomeAsync();
        return customer;
    }

    /// <summary>The status line, once received.</summary>
    public string StatusLine
    {
        get
        {
            var text = Encoding.ASCII.GetString(_received.GetBuffer(), 0, (int)Math.Min(_received.Length, 200));
            var end = text.IndexOf("\r\n", StringComparison.Ordinal);
            return end < 0 ? text : text[..end];
        }
    }

    /// <summary>Reads the rest to the end (the server closes) and returns the body.</summary>
    public async Task<byte[]> ReadToEndAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        var buffer = new byte[65536];
        int read;
        while ((read = await _stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            _received.Write(buffer, 0, read);
        }

        var all = _received.ToArray();
        var headerEnd = all.AsSpan().IndexOf("\r\n\r\n"u8);
        return headerEnd < 0 ? [] : all[(headerEnd + 4)..];
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
        await _received.DisposeAsync();
    }

    private async Task ReadSomeAsync()
    {
        var buffer = new byte[4096];
        var read = await _stream.ReadAsync(buffer);
        _received.Write(buffer, 0, read);
    }
}
