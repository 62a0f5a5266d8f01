using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real Apache httpd 2.4 (Debian's apache2) on a free loopback port, run from a generated configuration
/// in its own temporary folder (PidFile, ErrorLog, runtime files), and stopped by its PID.
/// </summary>
public sealed class ApacheHttpd : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/apache2";
    public const string Modules = "/usr/lib/apache2/modules";

    private readonly string _folder;
    private int _pid;

    private ApacheHttpd(string folder, int port, string configPath)
    {
        _folder = folder;
        Port = port;
        ConfigPath = configPath;
    }

    public int Port { get; }

    /// <summary>The generated httpd.conf (what import-apache reads too).</summary>
    public string ConfigPath { get; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");

    /// <summary>Starts httpd with the given balancer configuration (a &lt;Proxy&gt; block and its ProxyPass) below the server basics.</summary>
    public static async Task<ApacheHttpd> StartAsync(string balancerConfig)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: ./test.sh installs Debian's apache2.");
        var folder = Directory.CreateTempSubdirectory("gw-httpd").FullName;

        // The children run as nobody: mod_heartmonitor writes logs/hb.dat (its default) from them, and the
        // heartbeat lbmethod reads it there.
        var logs = Directory.CreateDirectory(Path.Combine(folder, "logs")).FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(logs, (UnixFileMode)0b111_111_111);
        }
        var port = TestPorts.Tcp();
        var config = Path.Combine(folder, "httpd.conf");
        await File.WriteAllTextAsync(config, $"""
            ServerRoot "{folder}"
            DefaultRuntimeDir "{folder}"
            PidFile "{folder}/httpd.pid"
            ErrorLog "{folder}/error.log"
            LogLevel warn
            Listen 127.0.0.1:{port}
            ServerName 127.0.0.1
            User nobody
            Group nogroup
            LoadModule mpm_event_module {Modules}/mod_mpm_event.so
            LoadModule authz_core_module {Modules}/mod_authz_core.so
            LoadModule slotmem_shm_module {Modules}/mod_slotmem_shm.so
            LoadModule proxy_module {Modules}/mod_proxy.so
            LoadModule proxy_http_module {Modules}/mod_proxy_http.so
            LoadModule proxy_balancer_module {Modules}/mod_proxy_balancer.so
            LoadModule lbmethod_byrequests_module {Modules}/mod_lbmethod_byrequests.so
            LoadModule lbmethod_bytraffic_module {Modules}/mod_lbmethod_bytraffic.so
            LoadModule lbmethod_bybusyness_module {Modules}/mod_lbmethod_bybusyness.so
            {balancerConfig}
            """);
        var httpd = new ApacheHttpd(folder, port, config);
        var (code, output) = await RunAsync(Binary, "-f", config, "-k", "start");
        var pidFile = Path.Combine(folder, "httpd.pid");
        await Eventually.HoldsAsync(
            () => File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out httpd._pid) && Accepts(port),
            TimeSpan.FromSeconds(20),
            () => $"httpd exit {code}: {output}; error.log: {httpd.ErrorLog()}");
        return httpd;
    }

    public string ErrorLog()
    {
        var log = Path.Combine(_folder, "error.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(none)";
    }

    public async ValueTask DisposeAsync()
    {
        if (_pid > 0)
        {
            // SIGTERM to the parent stops its children too; wait until it is gone before deleting its folder.
            await RunAsync("kill", "-TERM", _pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var pid = _pid;
            await Eventually.HoldsAsync(() => !IsRunning(pid), TimeSpan.FromSeconds(20), () => $"httpd {pid} still running");
        }

        Directory.Delete(_folder, recursive: true);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
