using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Agent.Engine;

/// <summary>
/// An engine's child process (aria2c, transmission-daemon): started with its arguments, its output drained into
/// the agent's log (a chatty engine must never block on a full pipe), watched, and killed by PID as a last resort.
/// </summary>
public sealed partial class EngineProcess(string engine, ILogger logger) : IDisposable
{
    private Process? _process;

    public bool IsRunning
    {
        get
        {
            try
            {
                return _process is { HasExited: false };
            }
            catch (InvalidOperationException)
            {
                // The process object was never bound to a started process (a failed start).
                return false;
            }
        }
    }

    /// <summary>The engine's process id, or null while there is none (not started, or between a death and its restart).</summary>
    public int? Id
    {
        get
        {
            try
            {
                return _process?.Id;
            }
            catch (InvalidOperationException)
            {
                // The Process object was disposed by a restart in progress: there is no process to name.
                return null;
            }
        }
    }

    /// <summary>Starts the executable; <paramref name="install"/> tells the operator what to do when it is missing.</summary>
    public void Start(string path, IEnumerable<string> arguments, string install)
    {
        _process?.Dispose();
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException($"{path} did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Could not run '{path}' ({ex.Message}). {install}", ex);
        }

        _process.OutputDataReceived += (_, e) => LogOutput(e.Data);
        _process.ErrorDataReceived += (_, e) => LogOutput(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Calls <paramref name="probe"/> (one RPC call) until the engine answers: at most 15 s, and only while it runs.</summary>
    public async Task WaitUntilAnswersAsync(Func<CancellationToken, Task> probe, Uri rpcUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await probe(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (IsNotReady(ex) && deadline.Elapsed < TimeSpan.FromSeconds(15) && IsRunning)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsNotReady(ex))
            {
                throw new InvalidOperationException($"{engine} (pid {Id}) did not answer on {rpcUrl} (exited: {!IsRunning}).", ex);
            }
        }
    }

    // A starting engine may refuse the connection, or accept it and answer empty or cut short (aria2 under load was
    // seen to): both mean "not yet", not a broken engine, while the process runs and the 15 s last.
    private static bool IsNotReady(Exception ex) =>
        ex is HttpRequestException or System.Text.Json.JsonException or IOException;

    /// <summary>Waits until the process exits, at most <paramref name="within"/>; false when it is still running.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        if (_process is null)
        {
            return true;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(within);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Kills it, logging why it did not stop by itself.</summary>
    public void Kill(string reason)
    {
        if (IsRunning)
        {
            LogForcedStop(logger, engine, _process!.Id, reason);
            _process.Kill();
        }
    }

    public void Dispose() => _process?.Dispose();

    /// <summary>A loopback port free a moment ago; the engine binds it right after (the gap is the usual port-0 race).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void LogOutput(string? line)
    {
        if (!string.IsNullOrWhiteSpace(line))
        {
            LogEngineLine(logger, engine, line);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Engine} (pid {Pid}) did not shut down gracefully ({Reason}); killed")]
    private static partial void LogForcedStop(ILogger logger, string engine, int pid, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Engine}: {Line}")]
    private static partial void LogEngineLine(ILogger logger, string engine, string line);
}
