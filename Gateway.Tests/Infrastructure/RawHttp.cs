using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>Sends a request byte for byte (no client normalizing it first) and reads the whole answer.</summary>
public static class RawHttp
{
    public static async Task<(int Status, string Head, string Body)> SendAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.Latin1);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var response = await reader.ReadToEndAsync(timeout.Token);
        var status = int.Parse(response.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return split < 0 ? (status, response, string.Empty) : (status, response[..split], response[(split + 4)..]);
    }

    /// <summary>A GET of <paramref name="target"/> with only Host, closing the connection after the answer.</summary>
    public static Task<(int Status, string Head, string Body)> GetAsync(int port, string target) =>
        SendAsync(port, $"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}
