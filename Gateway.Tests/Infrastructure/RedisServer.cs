using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real Debian <c>redis-server</c> on a free loopback port, with its own config and data folder, started and
/// stopped (by its PID) by the test that owns it. It persists nothing, so a restart comes back empty, as a
/// crashed Redis without persistence does.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string[] _extraArguments;
    private Process? _process;

    private RedisServer(int port, string folder, string[] extraArguments)
    {
        Port = port;
        Folder = folder;
        _extraArguments = extraArguments;
    }

    public int Port { get; }

    /// <summary>The server's own folder: its data directory and its log.</summary>
    public string Folder { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>The running server's process id (0 when stopped).</summary>
    public int ProcessId => _process is { HasExited: false } p ? p.Id : 0;

    public static async Task<RedisServer> StartAsync(params string[] extraArguments)
    {
        var folder = Directory.CreateTempSubdirectory("redis-test-").FullName;
        var server = new RedisServer(FreeLoopbackPort(), folder, extraArguments);
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>A loopback port nobody listens on now (the OS's choice for port 0).</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Kills the server at once (SIGKILL by PID), as a crash would.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts the server again on the same port, empty.</summary>
    public Task RestartAsync() => StartProcessAsync();

    /// <summary>Runs <c>redis-cli</c> against this server.</summary>
    public Task<CommandResult> CliAsync(params string[] arguments) =>
        CommandLine.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. arguments], TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty,
            "--appendonly", "no", "--dir", Folder, "--logfile", Path.Combine(Folder, "redis.log"), "--daemonize", "no",
        }.Concat(_extraArguments))
        {
            info.ArgumentList.Add(argument);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("Could not start redis-server; is it installed? (./test.sh installs it)");
        var process = _process;
        await Eventually.HoldsAsync(
            async () => process.HasExited ? throw new InvalidOperationException($"redis-server exited with {process.ExitCode}: {ReadLog()}") : await PingsAsync(),
            TimeSpan.FromSeconds(20),
            () => $"redis-server on port {Port} did not answer PING; its log: {ReadLog()}");
    }

    private async Task<bool> PingsAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, cts.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private string ReadLog()
    {
        var log = Path.Combine(Folder, "redis.log");
        return File.Exists(log) ? string.Join(" | ", File.ReadLines(log).TakeLast(10)) : "(no log)";
    }
}
