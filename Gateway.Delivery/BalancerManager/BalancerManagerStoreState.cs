using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;
using Gateway.State;
using Gateway.State.Resilience;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.BalancerManager;

/// <summary>
/// Keeps balancer-manager edits in the shared store (<see cref="IVolunteerOverrides"/>; Redis with
/// <c>Store:Kind=Redis</c>): an edit made on one gateway is written there at once, every gateway reads the
/// store when it starts and again every <see cref="BalancerManagerOptions.SyncInterval"/>, and applies what
/// changed. So edits survive a restart and every gateway follows the same ones; the last edit of a member wins.
/// When the store lost its state (<see cref="IStoreResets"/>), every gateway writes again the edits in force on it
/// at its next sync; an empty read never clears an edit.
/// </summary>
public sealed partial class BalancerManagerStoreState(
    BalancerMembers members,
    LbMethodOverride lbMethod,
    IVolunteerOverrides overrides,
    IStoreResets resets,
    IOptionsMonitor<BalancerManagerOptions> options,
    TimeProvider time,
    ILogger<BalancerManagerStoreState> logger) : IBalancerManagerState, IDisposable
{
    // One at a time: a save and a reconcile both compare against what the store is known to hold.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Dictionary<string, MemberEdit> _stored = new(StringComparer.Ordinal);
    private Dictionary<string, MemberEdit> _local = new(StringComparer.Ordinal);
    private string? _storedLbMethod;
    private Task _following = Task.CompletedTask;
    private long _rewrittenAfter = resets.Resets;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        members.Edited += OnEdited;
        try
        {
            await ReconcileAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StoreResilience.IsStoreFailure(ex))
        {
            // The gateway serves with its configuration; the loop takes the edits once the store answers.
            LogNotRead(logger, ex.Message);
        }

        _following = FollowAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        members.Edited -= OnEdited;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _following.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async Task<bool> SaveAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            foreach (var (id, edit) in _local)
            {
                if (!_stored.TryGetValue(id, out var known) || known != edit)
                {
                    await overrides.SetAsync(id, ToOverride(edit, now), cancellationToken).ConfigureAwait(false);
                    _stored[id] = edit;
                }
            }

            if (lbMethod.Policy != _storedLbMethod)
            {
                await overrides.SetLbMethodAsync(lbMethod.Policy, cancellationToken).ConfigureAwait(false);
                _storedLbMethod = lbMethod.Policy;
            }

            return true;
        }
        catch (Exception ex) when (StoreResilience.IsStoreFailure(ex))
        {
            LogNotSaved(logger, ex.Message);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        _stopping.Dispose();
    }

    private void OnEdited(IReadOnlyDictionary<string, MemberEdit> edits) =>
        _local = new Dictionary<string, MemberEdit>(edits, StringComparer.Ordinal);

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CurrentValue.SyncInterval, time, cancellationToken).ConfigureAwait(false);
                if (resets.Resets is var seen && seen != Interlocked.Read(ref _rewrittenAfter))
                {
                    await RewriteAsync(cancellationToken).ConfigureAwait(false);
                    Interlocked.Exchange(ref _rewrittenAfter, seen);
                }

                await ReconcileAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (StoreResilience.IsStoreFailure(ex) || ex is OperationCanceledException)
            {
                // Redis is down: keep the edits in force and ask again at the next interval.
                LogNotRead(logger, ex.Message);
            }
        }
    }

    /// <summary>Writes every edit in force here (and the lbmethod) to a store that lost them.</summary>
    private async Task RewriteAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var inForce = new Dictionary<string, MemberEdit>(_stored, StringComparer.Ordinal);
            foreach (var (id, edit) in _local)
            {
                inForce[id] = edit;
            }

            foreach (var (id, edit) in inForce)
            {
                await overrides.SetAsync(id, ToOverride(edit, now), cancellationToken).ConfigureAwait(false);
                _stored[id] = edit;
            }

            if (lbMethod.Policy is { } method)
            {
                await overrides.SetLbMethodAsync(method, cancellationToken).ConfigureAwait(false);
                _storedLbMethod = method;
            }

            LogRewritten(logger, inForce.Count);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Applies what changed in the store since it was last read or written.</summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var all = await overrides.GetAllAsync(cancellationToken).ConfigureAwait(false);
        var method = await overrides.GetLbMethodAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var changed = new Dictionary<string, MemberEdit>(StringComparer.Ordinal);
            foreach (var (id, value) in all)
            {
                var edit = ToEdit(value);
                if (!_stored.TryGetValue(id, out var known) || known != edit)
                {
                    changed[id] = edit;
                    _stored[id] = edit;
                }
            }

            if (changed.Count > 0)
            {
                members.RestoreEdits(changed);
                LogApplied(logger, changed.Count);
            }

            // No lbmethod in the store says nothing (never set, or the store lost it: a FLUSHALL read before the reset is
            // noticed); only a method another gateway wrote replaces the one in force here.
            if (method is not null && method != _storedLbMethod)
            {
                _storedLbMethod = method;
                if (method != lbMethod.Policy)
                {
                    lbMethod.Set(method);

                    // As for an edit on this gateway: Apache starts the counters afresh when the method changes.
                    members.ResetCounters();
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static VolunteerOverride ToOverride(MemberEdit edit, DateTimeOffset at) =>
        new(edit.LbFactor, edit.LbSet, edit.Route, edit.Status is { } status ? MemberStatusFlags.Format(status) : null, at, edit.RouteRedirect);

    private static MemberEdit ToEdit(VolunteerOverride value) =>
        new(value.LbFactor, value.LbSet, value.Route,
            value.Status is { } text && MemberStatusFlags.TryApply(text, MemberStatus.None, out var status, out _) ? status : null,
            value.RouteRedirect);

    [LoggerMessage(Level = LogLevel.Warning, Message = "balancer-manager edits could not be read from the store ({Reason}); keeping the ones in force")]
    private static partial void LogNotRead(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A balancer-manager edit could not be written to the store ({Reason}); it applies on this gateway until it restarts")]
    private static partial void LogNotSaved(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store lost the balancer-manager edits; wrote again the {Count} in force on this gateway")]
    private static partial void LogRewritten(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} balancer-manager edit(s) from the store")]
    private static partial void LogApplied(ILogger logger, int count);
}
