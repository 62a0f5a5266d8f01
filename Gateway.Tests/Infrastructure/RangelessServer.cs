using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real static file server that ignores <c>Range</c> (Python's <c>http.server</c>: every GET is a 200 with the whole
/// file), as a volunteer or an origin, on a free loopback port; stopped by its PID.
/// </summary>
public sealed class RangelessServer : IAsyncDisposable
{
    private readonly Process _process;

    private RangelessServer(Process process, int port)
    {
        _process = process;
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri BaseUrl { get; }

    public static async Task<RangelessServer> StartAsync(string folder)
    {
        var port = TestPorts.Tcp();
        var info = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-m", "http.server", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--directory", folder })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start python3; ./test.sh installs it.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RangelessServer(process, port);
        await Eventually.HoldsAsync(() => Task.FromResult(Listening(port)), TimeSpan.FromSeconds(15), () => $"python3 -m http.server did not listen on {port}");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
