using System.Diagnostics;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real BitTorrent client process (aria2c, or python3-libtorrent through a small script) started by a test
/// and stopped by its PID: SIGINT (announces <c>stopped</c>) or SIGKILL (vanishes; the tracker must expire it).
/// </summary>
public sealed class BitTorrentClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BitTorrentClient(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// aria2c on loopback, quiet (no DHT unless <paramref name="udpTracker"/>: aria2 talks to UDP trackers only with
    /// DHT on, so each instance then gets its own DHT port and file). Seeds files already in <paramref name="dir"/> forever
    /// when <paramref name="seed"/>, else downloads and exits.
    /// </summary>
    public static BitTorrentClient Aria2(string torrent, string dir, string tracker, bool seed, bool udpTracker = false, int? rpcPort = null, string? uploadLimit = null)
    {
        Directory.CreateDirectory(dir);
        List<string> args =
        [
            "--dir=" + dir,
            "--bt-tracker=" + tracker,
            "--bt-exclude-tracker=*",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--disable-ipv6=true",
            "--file-allocation=none",
            "--listen-port=" + TestPorts.Tcp(),
            "--summary-interval=0",
            "--console-log-level=notice",
            "--bt-tracker-connect-timeout=3",
            "--bt-tracker-timeout=3",
            "--bt-stop-timeout=60",
            "--enable-dht6=false",
        ];
        if (udpTracker)
        {
            args.AddRange(["--enable-dht=true", "--dht-listen-port=" + TestPorts.Udp(), "--dht-file-path=" + Path.Combine(dir, "dht.dat")]);
        }
        else
        {
            args.Add("--enable-dht=false");
        }

        args.AddRange(seed ? ["--check-integrity=true", "--seed-ratio=0.0", "--bt-seed-unverified=false"] : ["--seed-time=0"]);
        if (rpcPort is { } rpc)
        {
            args.AddRange(["--enable-rpc=true", "--rpc-listen-port=" + rpc, "--rpc-listen-all=false"]);
        }

        if (uploadLimit is not null)
        {
            args.Add("--max-overall-upload-limit=" + uploadLimit);
        }

        args.Add(torrent);
        return Start("aria2c", args);
    }

    /// <summary>python3-libtorrent (the engine of qBittorrent) with <c>allow_multiple_connections_per_ip</c>, as seeder or leecher.</summary>
    public static BitTorrentClient Libtorrent(string torrent, string dir, string tracker, bool seed)
    {
        Directory.CreateDirectory(dir);
        var script = Path.Combine(AppContext.BaseDirectory, "Tracker", "libtorrent_client.py");
        // Debian's python: the module comes from the python3-libtorrent package, not from any other python on PATH.
        return Start("/usr/bin/python3", [script, seed ? "seed" : "download", torrent, dir, tracker, TestPorts.Tcp().ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    /// <summary>Waits (bounded) for the client to exit by itself, as a downloader does when done.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"pid {Pid} did not exit within {within}; output:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGINT: the client announces <c>stopped</c> and exits.</summary>
    public async Task InterruptAsync()
    {
        if (!_process.HasExited)
        {
            await CommandLine.RunAsync("kill", ["-INT", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
            await WaitForExitAsync(TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>SIGKILL: the client vanishes without a word.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static BitTorrentClient Start(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return new BitTorrentClient(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}; ./test.sh installs it."));
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            // Keep the tail only: a seeder runs for the whole test.
            if (_output.Length > 64 * 1024)
            {
                _output.Remove(0, 32 * 1024);
            }

            _output.AppendLine(line);
        }
    }
}
