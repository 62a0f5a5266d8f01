using System.Threading.Channels;
using Gateway.State.Resilience;

namespace Gateway.State.Views;

/// <summary>Keeps a <see cref="HoldingsView"/> following a store: changes as they come, and a full reconcile now and then.</summary>
public sealed partial class HoldingsFollower(IHoldingsStore store, HoldingsView view, TimeProvider time, ILogger<HoldingsFollower> logger) : BackgroundService
{
    /// <summary>How often the whole state is read again, to repair anything a lost notification missed.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>While the store cannot be read, how long a volunteer stays in the view after the view last heard of it.</summary>
    public TimeSpan ViewMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Where the follower reports its state (snapshots, following or not), when someone watches it.</summary>
    public StoreHealth? Health { get; init; }

    /// <summary>Takes the first snapshot before the host starts serving, so the first request already sees holders.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            view.Reset(await store.GetSnapshotAsync(cancellationToken).ConfigureAwait(false));
            Health?.SnapshotTaken();
        }
        catch (Exception ex) when (StoreResilience.IsStoreFailure(ex))
        {
            // A gateway starts while the store is down: it serves from the origin until the store is back.
            LogFollowFailed(logger, ex.Message);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await FollowAsync(stoppingToken).ConfigureAwait(false))
                {
                    // The store ended its change feed (e.g. its connection dropped or came back): read the
                    // whole state again at once, with a short pause so a flapping store cannot spin us.
                    Health?.FollowingStopped();
                    await Task.Delay(TimeSpan.FromMilliseconds(100), time, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Anything the store throws (including a cancellation it made itself) means "not now":
                // the view keeps serving and the next cycle tries again.
                Health?.FollowingStopped();
                LogFollowFailed(logger, ex.Message);
                var forgotten = view.ForgetSilentSince(time.GetUtcNow() - ViewMaxAge);
                if (forgotten > 0)
                {
                    LogForgotten(logger, forgotten, ViewMaxAge);
                }

                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <returns>True when the store ended its change feed before the next reconcile was due.</returns>
    private async Task<bool> FollowAsync(CancellationToken stoppingToken)
    {
        // Subscribe first, then snapshot once the feed is live: a change made in between is replayed on top
        // of the snapshot, which is harmless because applying a change twice leaves the same state.
        var pending = Channel.CreateUnbounded<HoldingsChange>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var cycle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var pump = PumpAsync(pending.Writer, cycle.Token);
        try
        {
            if (!await pending.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                return true;
            }

            if (pending.Reader.TryPeek(out var first) && first is WatchStarted)
            {
                pending.Reader.TryRead(out _);
            }

            view.Reset(await store.GetSnapshotAsync(stoppingToken).ConfigureAwait(false));
            Health?.SnapshotTaken();
            using var reconcile = new CancellationTokenSource(ReconcileInterval, time);
            using var until = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, reconcile.Token);
            try
            {
                await foreach (var change in pending.Reader.ReadAllAsync(until.Token).ConfigureAwait(false))
                {
                    view.Apply(change);
                }

                return true;
            }
            catch (OperationCanceledException) when (reconcile.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                // Time for a full reconcile: the loop in ExecuteAsync starts the next cycle.
                return false;
            }
        }
        finally
        {
            await cycle.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task PumpAsync(ChannelWriter<HoldingsChange> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in store.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                await writer.WriteAsync(change, cancellationToken).ConfigureAwait(false);
            }

            writer.TryComplete();
        }
        catch (Exception ex)
        {
            // The reader sees why the feed ended (the store is unreachable) and treats it as a failure.
            writer.TryComplete(ex);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Following the holdings store failed ({Reason}); serving from the last view and retrying")]
    private static partial void LogFollowFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The holdings store has been unreadable too long: forgot {Count} volunteers not heard of for {MaxAge}; their files go to the origin")]
    private static partial void LogForgotten(ILogger logger, int count, TimeSpan maxAge);
}
