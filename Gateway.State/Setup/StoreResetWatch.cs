using Gateway.State.Memory;
using Microsoft.Extensions.Options;

namespace Gateway.State.Setup;

/// <summary>
/// Asks the store every <c>Store:RetryInterval</c> whether it lost its state, so writers rebuild it at once even when
/// no connection dropped (an operator's <c>FLUSHALL</c>) and no reader happened to read it.
/// </summary>
public sealed class StoreResetWatch(IStoreResets resets, IOptions<StoreOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (resets is NoStoreResets)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await resets.CheckAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(options.Value.RetryInterval, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
