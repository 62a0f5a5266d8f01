using Gateway.State.Resilience;
using Microsoft.Extensions.Options;

namespace Gateway.State.Views;

/// <summary>
/// Removes volunteers whose record expired (nobody wrote about them for <see cref="StoreOptions.VolunteerTtl"/>)
/// and publishes each removal, so every gateway drops them. Redis expires the keys by itself; this makes the
/// removal visible. Every process with a Redis store runs it: the removal script is atomic and idempotent.
/// </summary>
public sealed partial class HoldingsExpirySweeper(
    IHoldingsStore store,
    IOptions<StoreOptions> options,
    TimeProvider time,
    ILogger<HoldingsExpirySweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not IHoldingsExpiry expiry)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    var removed = await expiry.SweepExpiredAsync(stoppingToken).ConfigureAwait(false);
                    if (removed > 0)
                    {
                        LogExpired(logger, removed);
                    }
                }
                catch (Exception ex) when (StoreResilience.IsStoreFailure(ex))
                {
                    // Redis is down: nothing to sweep now, and its own key expiry still runs.
                    LogSweepFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} volunteers whose records expired")]
    private static partial void LogExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sweeping expired volunteers failed ({Reason}); trying again next interval")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
