using System.Diagnostics;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.Feedback.Tracker;

/// <summary>
/// When the holdings store lost its state (Redis restarted empty, flushed, failed over), writes again at once the full
/// holdings and latest load of every volunteer this tracker knows, instead of waiting for each to change.
/// </summary>
public sealed partial class TrackerStoreRebuild(
    IStoreResets resets,
    HoldingsRecorder holdings,
    IOptions<StoreOptions> store,
    TimeProvider time,
    ILogger<TrackerStoreRebuild> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        resets.ResetDetected += OnResetDetected;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        resets.ResetDetected -= OnResetDetected;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>Writes everything again now; returns how many volunteers were written.</summary>
    public async Task<int> RebuildAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var count = await holdings.RewriteAllAsync(time.GetUtcNow() - store.Value.VolunteerTtl, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        LogRebuilt(logger, count, elapsed.TotalMilliseconds);
        return count;
    }

    private void OnResetDetected(object? sender, StoreResetEventArgs e)
    {
        // Writes to the store never throw for an outage (they are buffered); a second reset waits for the first rebuild.
        var previous = _running;
        _running = Task.Run(async () =>
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await RebuildAsync(_stopping.Token).ConfigureAwait(false);
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tracker wrote again the holdings and load of {Count} volunteers after a store reset in {Milliseconds:0} ms")]
    private static partial void LogRebuilt(ILogger logger, int count, double milliseconds);
}
