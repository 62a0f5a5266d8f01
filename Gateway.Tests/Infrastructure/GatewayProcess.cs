using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The real executable (<c>dotnet Gateway.dll COMMAND …</c>) as a separate process, as ops run it: started on
/// loopback port 0, its URL read from its own log, and killed by PID at the end.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly Task _draining;

    private GatewayProcess(Process process, Uri url, StringBuilder output, Task draining)
    {
        _process = process;
        _output = output;
        Url = url;
        _draining = draining;
    }

    /// <summary>Where it listens (the gateway's HTTP base, or the tracker's HTTP base).</summary>
    public Uri Url { get; }

    /// <summary>What it logged so far (for failure messages).</summary>
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

    /// <summary><c>serve</c> on a free loopback port, with the given settings.</summary>
    public static Task<GatewayProcess> ServeAsync(params string[] settings) =>
        StartAsync("serve", ListeningLine(), ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information", .. settings]);

    /// <summary>
    /// <c>serve</c> as shipped: the log levels of the appsettings.json beside Gateway.dll (no level forced), run from
    /// <paramref name="home"/> as its working directory and HOME, so that nothing of the test's folder or user is read.
    /// </summary>
    public static Task<GatewayProcess> ServeAsShippedAsync(string home, params string[] settings) =>
        StartAsync("serve", ListeningLine(), ["--urls", "http://127.0.0.1:0", .. settings], home);

    /// <summary><c>serve --config FILE</c> and nothing else that configures it: it listens where the file says.</summary>
    public static Task<GatewayProcess> ServeConfigAsync(string configFile) =>
        StartAsync("serve", ListeningLine(), ["--config", configFile, "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information"]);

    /// <summary>The standalone <c>tracker</c> on a free loopback port (HTTP only), with the given settings.</summary>
    public static Task<GatewayProcess> TrackerAsync(params string[] settings) =>
        StartAsync("tracker", TrackerLine(), ["--Tracker:Urls=http://127.0.0.1:0", "--Tracker:UdpPort=-1", "--Logging:LogLevel:Gateway.Feedback.Server.TrackerServer=Information", .. settings]);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        await _draining;
        _process.Dispose();
    }

    /// <summary>Starts the command; without <paramref name="home"/>, quieter than shipped (warnings only, besides what the arguments raise).</summary>
    private static async Task<GatewayProcess> StartAsync(string command, Regex ready, string[] arguments, string? home = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] levels = home is null ? ["--Logging:LogLevel:Default=Warning"] : [];
        foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), command, .. levels, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        if (home is not null)
        {
            info.WorkingDirectory = home;
            info.Environment["HOME"] = home;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet Gateway.dll");
        var output = new StringBuilder();
        var url = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var draining = Task.WhenAll(DrainAsync(process.StandardOutput), DrainAsync(process.StandardError));
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var exited = process.WaitForExitAsync(timeout.Token);
            if (await Task.WhenAny(url.Task, exited) != url.Task)
            {
                throw new InvalidOperationException($"Gateway {command} exited or did not say where it listens within 60 s:\n{output}");
            }

            return new GatewayProcess(process, await url.Task, output, draining);
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            throw;
        }

        async Task DrainAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }

                if (ready.Match(line) is { Success: true } match)
                {
                    url.TrySetResult(new Uri(match.Groups[1].Value.TrimEnd('/') + "/"));
                }
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"Tracker listening on (http://\S+)")]
    private static partial Regex TrackerLine();
}
