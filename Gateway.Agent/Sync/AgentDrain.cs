using Gateway.Agent.Engine;
using Gateway.Agent.Mirror;
using Gateway.Agent.Serving;
using Microsoft.Extensions.Options;

namespace Gateway.Agent.Sync;

/// <summary>
/// The drain (the <c>drain</c> command, <c>POST /drain</c>, or SIGTERM/Ctrl-C: all stop the host): before any
/// part stops, new customers get 503, the engine stops and announces <c>event=stopped</c> through the relay (so
/// the tracker drops this volunteer's holdings and the gateway sends no more customers), and the transfers in
/// flight finish, within <see cref="VolunteerAgentOptions.DrainTimeout"/>.
/// </summary>
public sealed partial class AgentDrain(
    MirrorState state,
    CustomerTransfers transfers,
    ITorrentEngine engine,
    IOptions<VolunteerAgentOptions> options,
    TimeProvider time,
    ILogger<AgentDrain> logger) : IHostedLifecycleService
{
    private readonly Lock _lock = new();
    private Task? _drain;

    /// <summary>Drains once; later callers (the host stopping after <c>POST /drain</c>) wait for the same drain.</summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            return _drain ??= Task.Run(() => DrainCoreAsync(CancellationToken.None));
        }
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => DrainAsync().WaitAsync(cancellationToken);

    private async Task DrainCoreAsync(CancellationToken cancellationToken)
    {
        state.Draining = true;
        LogDraining(logger, transfers.Active);
        try
        {
            await engine.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            LogEngineStopFailed(logger, ex.Message);
        }

        state.EngineRunning = false;
        var deadline = time.GetUtcNow() + options.Value.DrainTimeout;
        while (transfers.Active > 0 && time.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, CancellationToken.None).ConfigureAwait(false);
        }

        LogDrained(logger, transfers.Active, transfers.Served);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: no new customers, engine stopping (event=stopped), {Active} transfers in flight")]
    private static partial void LogDraining(ILogger logger, int active);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The engine did not stop cleanly: {Reason}")]
    private static partial void LogEngineStopFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drained: {Active} transfers still in flight, {Served} served in all")]
    private static partial void LogDrained(ILogger logger, int active, long served);
}
