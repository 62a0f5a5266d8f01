using System.Threading.Channels;
using Gateway.State.Resilience;

namespace Gateway.State.Views;

/// <summary>
/// Keeps a <see cref="HoldingsView"/> following a store: changes as they come, and a full reconcile now and then.
/// A store that lost its state (restarted empty, flushed, failed over) is read as "unknown", not "empty": the view
/// keeps each volunteer it had until the volunteer is written again or <see cref="ViewMaxAge"/> passes.
/// </summary>
public sealed partial class HoldingsFollower(IHoldingsStore store, HoldingsView view, TimeProvider time, ILogger<HoldingsFollower> logger) : BackgroundService
{
    /// <summary>While volunteers are carried over a reset, how often the store is read again to see them written back and age out the rest.</summary>
    private static readonly TimeSpan CarriedRecheck = TimeSpan.FromSeconds(5);

    private CancellationTokenSource? _resync;
    private bool _lost;
    private bool _carrying;

    /// <summary>How often the whole state is read again, to repair anything a lost notification missed.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>While the store cannot be read, how long a volunteer stays in the view after the view last heard of it.</summary>
    public TimeSpan ViewMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Where the follower reports its state (snapshots, following or not), when someone watches it.</summary>
    public StoreHealth? Health { get; init; }

    /// <summary>Where a reset the connection did not notice (e.g. <c>FLUSHALL</c>) is reported: the follower reads the store again at once.</summary>
    public IStoreResets? Resets { get; init; }

    /// <summary>Takes the first snapshot before the host starts serving, so the first request already sees holders.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Resets is { } resets)
        {
            resets.ResetDetected += OnResetDetected;
        }

        try
        {
            Take(await store.GetSnapshotAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (StoreResilience.IsStoreFailure(ex))
        {
            // A gateway starts while the store is down: it serves from the origin until the store is back.
            Lost(ex);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Resets is { } resets)
        {
            resets.ResetDetected -= OnResetDetected;
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Why <paramref name="snapshot"/> cannot be taken as the whole truth after what <paramref name="view"/> holds: the
    /// store's generation changed, or it reads empty where the view had volunteers (which, with lost notifications,
    /// also keeps volunteers that really all left until <see cref="ViewMaxAge"/>). Null when it can.
    /// </summary>
    public static string? ResetReason(HoldingsView view, HoldingsSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Generation is not { } seen)
        {
            // A store without generations (in memory) is never reset under its readers.
            return null;
        }

        var changed = view.Generation is { } known ? StoreGeneration.ResetReason(known, seen) : null;
        return changed ?? (snapshot.IsEmpty && view.VolunteerCount > 0 ? "it reads empty where the view had volunteers" : null);
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
                Lost(ex);
                ForgetSilent();
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
        using var resync = new CancellationTokenSource();
        Volatile.Write(ref _resync, resync);
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

            Take(await store.GetSnapshotAsync(stoppingToken).ConfigureAwait(false));
            using var reconcile = new CancellationTokenSource(_carrying && CarriedRecheck < ReconcileInterval ? CarriedRecheck : ReconcileInterval, time);
            using var until = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, reconcile.Token, resync.Token);
            try
            {
                await foreach (var change in pending.Reader.ReadAllAsync(until.Token).ConfigureAwait(false))
                {
                    view.Apply(change);
                    if (_carrying && view.CarriedCount == 0)
                    {
                        _carrying = false;
                        Health?.SetCarriedOverReset(0);
                        LogRebuilt(logger);
                    }
                }

                return true;
            }
            catch (OperationCanceledException) when ((reconcile.IsCancellationRequested || resync.IsCancellationRequested) && !stoppingToken.IsCancellationRequested)
            {
                // Time for a full reconcile (or the store was reset): the loop in ExecuteAsync starts the next cycle.
                return false;
            }
        }
        finally
        {
            Interlocked.CompareExchange(ref _resync, null, resync);
            await cycle.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Takes a full read: as the whole truth, or, after a reset or while volunteers are carried over one, merged.</summary>
    private void Take(HoldingsSnapshot snapshot)
    {
        var reason = ResetReason(view, snapshot);
        if (reason is null && view.CarriedCount == 0)
        {
            view.Reset(snapshot);
        }
        else
        {
            var carried = view.Merge(snapshot);
            if (reason is not null)
            {
                LogResetDetected(logger, reason, carried, ViewMaxAge);
            }

            ForgetSilent();
            _carrying = view.CarriedCount > 0;
            if (!_carrying)
            {
                LogRebuilt(logger);
            }
        }

        Health?.SnapshotTaken();
        Health?.SetCarriedOverReset(view.CarriedCount);
        if (_lost)
        {
            _lost = false;
            LogBack(logger);
        }
    }

    private void ForgetSilent()
    {
        var forgotten = view.ForgetSilentSince(time.GetUtcNow() - ViewMaxAge);
        if (forgotten > 0)
        {
            LogForgotten(logger, forgotten, ViewMaxAge);
        }
    }

    private void Lost(Exception ex)
    {
        if (!_lost)
        {
            _lost = true;
            LogLost(logger, StoreResilience.ShortReason(ex));
        }
    }

    private void OnResetDetected(object? sender, StoreResetEventArgs e)
    {
        try
        {
            Volatile.Read(ref _resync)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The cycle just ended: the next one reads the store anyway.
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Holdings store lost ({Reason}); serving from the last view and retrying every second")]
    private static partial void LogLost(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Holdings store back: following it again")]
    private static partial void LogBack(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Holdings store reset detected ({Reason}); keeping {Carried} volunteers from the last view until they are written again or {MaxAge} passes")]
    private static partial void LogResetDetected(ILogger logger, string reason, int carried, TimeSpan maxAge);

    [LoggerMessage(Level = LogLevel.Information, Message = "Holdings store rebuilt: every volunteer kept over the reset was written again or aged out")]
    private static partial void LogRebuilt(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forgot {Count} volunteers the store has not vouched for in {MaxAge}; their files go to the origin")]
    private static partial void LogForgotten(ILogger logger, int count, TimeSpan maxAge);
}
