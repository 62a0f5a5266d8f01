using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Feedback.Store;

/// <summary>Keeps a <see cref="SwarmView"/> following a store: changes as they come, and a full reconcile now and then.</summary>
public sealed partial class SwarmFollower(ISwarmStore store, SwarmView view, TimeProvider time, ILogger<SwarmFollower> logger) : BackgroundService
{
    /// <summary>How often the whole state is read again, to repair anything a lost notification missed.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Takes the first snapshot before the host starts serving, so the first request already sees holders.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        view.Reset(await store.GetSnapshotAsync(cancellationToken).ConfigureAwait(false));
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FollowAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFollowFailed(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task FollowAsync(CancellationToken stoppingToken)
    {
        // Subscribe first, then snapshot: a change made in between is replayed on top of the snapshot,
        // which is harmless because applying a change twice leaves the same state.
        var pending = Channel.CreateUnbounded<SwarmChange>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var cycle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var pump = PumpAsync(pending.Writer, cycle.Token);
        try
        {
            view.Reset(await store.GetSnapshotAsync(stoppingToken).ConfigureAwait(false));
            using var reconcile = new CancellationTokenSource(ReconcileInterval, time);
            using var until = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, reconcile.Token);
            try
            {
                await foreach (var change in pending.Reader.ReadAllAsync(until.Token).ConfigureAwait(false))
                {
                    view.Apply(change);
                }
            }
            catch (OperationCanceledException) when (reconcile.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                // Time for a full reconcile: the loop in ExecuteAsync starts the next cycle.
            }
        }
        finally
        {
            await cycle.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task PumpAsync(ChannelWriter<SwarmChange> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in store.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                await writer.WriteAsync(change, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            writer.TryComplete();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Following the swarm store failed ({Reason}); serving from the last view and retrying")]
    private static partial void LogFollowFailed(ILogger logger, string reason);
}
