using System.Collections.Frozen;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Gateway.State.Resilience;
using Gateway.State.Views;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.State.Redis;

/// <summary>
/// The holdings store in Redis (or Redis Cluster), shared by every gateway and tracker that names the same
/// Redis and key prefix. Each change is one Lua script that also refreshes the volunteer's expiry and
/// publishes the change; readers follow the publications and reconcile from a full read now and then.
/// Writes never fail because Redis does: what Redis cannot take now is buffered per volunteer and written
/// when it is back (see docs/redis.md).
/// </summary>
public sealed partial class RedisHoldingsStore(
    RedisConnection connection,
    StoreResilience resilience,
    RedisStoreGeneration generation,
    IOptions<StoreOptions> options,
    StoreHealth health,
    TimeProvider time,
    ILogger<RedisHoldingsStore> logger) : IHoldingsStore, IHoldingsExpiry, IStoreHealth, IAsyncDisposable
{
    private readonly RedisConnection _connection = connection;
    private readonly StoreResilience _resilience = resilience;
    private readonly RedisStoreGeneration _generation = generation;
    private readonly StoreHealth _health = health;
    private readonly TimeProvider _time = time;
    private readonly ILogger<RedisHoldingsStore> _logger = logger;
    private readonly RedisSwarmKeys _keys = new(options.Value.KeyPrefix);
    private readonly RedisValue _ttl = (long)options.Value.VolunteerTtl.TotalMilliseconds;
    private readonly TimeSpan _retryInterval = options.Value.RetryInterval;
    private readonly PendingHoldingsWrites _pending = new();
    private RetryLoop? _flusher;
    private int _disposed;

    // Made on first need: its pass is an instance method, which a field initializer cannot name.
    private RetryLoop Flusher => LazyInitializer.EnsureInitialized(ref _flusher, () => new RetryLoop(_retryInterval, _time, FlushPassAsync, () => _pending.Count == 0));

    private IDatabase Database => _connection.Multiplexer.GetDatabase();

    /// <summary>For readiness and the <c>gateway.store.reachable</c> gauge: the connection, and the view's state in words.</summary>
    public StoreStatus Status => new(_connection.IsConnected, _health.Describe());

    public ValueTask ReplaceHoldingsAsync(string volunteerId, IReadOnlyCollection<string> contentIds, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        ArgumentNullException.ThrowIfNull(contentIds);
        return WriteAsync(volunteerId, p => p.Replace(volunteerId, contentIds), ct => ReplaceNowAsync(volunteerId, contentIds, ct), cancellationToken);
    }

    public ValueTask UpdateHoldingsAsync(string volunteerId, IReadOnlyCollection<string> added, IReadOnlyCollection<string> removed, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(removed);
        return WriteAsync(volunteerId, p => p.Update(volunteerId, added, removed), ct => UpdateNowAsync(volunteerId, added, removed, ct), cancellationToken);
    }

    public ValueTask ReportLoadAsync(string volunteerId, LoadReport report, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        return WriteAsync(volunteerId, p => p.ReportLoad(volunteerId, report), ct => ReportLoadNowAsync(volunteerId, report, ct), cancellationToken);
    }

    public ValueTask RemoveVolunteerAsync(string volunteerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        return WriteAsync(volunteerId, p => p.Remove(volunteerId), async ct => await RemoveNowAsync(volunteerId, onlyIfExpired: false, ct).ConfigureAwait(false), cancellationToken);
    }

    public async ValueTask<HoldingsSnapshot> GetSnapshotAsync(CancellationToken cancellationToken) =>
        await _resilience.Pipeline.ExecuteAsync(ReadSnapshotAsync, cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<HoldingsChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A lost connection may lose publications: the watch ends then, so the reader subscribes and reads
        // the whole state again (once Redis answers) instead of trusting a view with a hole in it.
        using var resync = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnConnectionLost(object? sender, EventArgs e) => resync.Cancel();
        _connection.ConnectionLost += OnConnectionLost;
        try
        {
            var subscriber = _connection.Multiplexer.GetSubscriber();
            var queue = await _resilience.Pipeline.ExecuteAsync(
                async ct => await subscriber.SubscribeAsync(_keys.Changes).WaitAsync(ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            try
            {
                yield return new WatchStarted();
                while (await NextMessageAsync(queue, resync.Token, cancellationToken).ConfigureAwait(false) is { } message)
                {
                    if (TryParseChange(message, out var change, out var appliedAt))
                    {
                        _health.ChangeReceived(appliedAt);
                        yield return change;
                    }
                    else
                    {
                        LogUnreadableChange(_logger, message.ToString());
                    }
                }
            }
            finally
            {
                await UnsubscribeAsync(queue).ConfigureAwait(false);
            }
        }
        finally
        {
            _connection.ConnectionLost -= OnConnectionLost;
        }
    }

    /// <summary>Removes every volunteer whose record expired and publishes each removal (run by <see cref="HoldingsExpirySweeper"/>).</summary>
    public async ValueTask<int> SweepExpiredAsync(CancellationToken cancellationToken) =>
        await _resilience.Pipeline.ExecuteAsync(
            async ct =>
            {
                var expired = (RedisValue[]?)await Database.ScriptEvaluateAsync(RedisSwarmScripts.Volunteers, [_keys.Registry], ["expired"]).WaitAsync(ct).ConfigureAwait(false) ?? [];
                var removed = 0;
                foreach (var volunteer in expired)
                {
                    // The script checks the expiry again: a volunteer that announced since is kept.
                    removed += await RemoveNowAsync(volunteer.ToString(), onlyIfExpired: true, ct).ConfigureAwait(false) > 0 ? 1 : 0;
                }

                return removed;
            },
            cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        // The container may dispose it twice: once as itself and once as IHoldingsStore.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_flusher is { } flusher)
        {
            await flusher.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Six fields, and a seventh (x_http_left) only when reported: a report without it reads the same as before it existed.
    internal static string EncodeLoad(LoadReport report) => string.Create(CultureInfo.InvariantCulture,
        $"{report.ActiveTransfers},{report.Peers},{report.UploadBytesPerSecond},{report.DownloadBytesPerSecond},{report.CapacityBytesPerSecond},{report.ReportedAt.UtcTicks}")
        + (report.CustomerBytesLeft is { } left ? string.Create(CultureInfo.InvariantCulture, $",{left}") : string.Empty);

    internal static bool TryDecodeLoad(string? value, out LoadReport report)
    {
        report = default;
        var parts = value?.Split(',');
        long? customerBytesLeft = null;
        if (parts is { Length: 7 })
        {
            if (!long.TryParse(parts[6], NumberStyles.None, CultureInfo.InvariantCulture, out var left))
            {
                return false;
            }

            customerBytesLeft = left;
        }

        if (parts is not { Length: 6 or 7 }
            || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var active)
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var peers)
            || !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var up)
            || !long.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var down)
            || !long.TryParse(parts[4], NumberStyles.Integer, CultureInfo.InvariantCulture, out var capacity)
            || !long.TryParse(parts[5], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks)
            || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        report = new LoadReport(active, peers, up, down, capacity, new DateTimeOffset(ticks, TimeSpan.Zero), customerBytesLeft);
        return true;
    }

    /// <summary>Reads a published change: <c>{"k":"h"|"l"|"x","v":volunteer,"a":[…],"r":[…],"l":load,"t":server ms}</c>.</summary>
    internal static bool TryParseChange(string message, out HoldingsChange change, out DateTimeOffset? appliedAt)
    {
        change = null!;
        appliedAt = null;
        try
        {
            using var json = JsonDocument.Parse(message);
            var root = json.RootElement;
            if (!root.TryGetProperty("v", out var v) || v.GetString() is not { Length: > 0 } volunteer || !root.TryGetProperty("k", out var k))
            {
                return false;
            }

            if (root.TryGetProperty("t", out var t) && t.TryGetInt64(out var ms))
            {
                appliedAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            }

            switch (k.GetString())
            {
                case "h":
                    // Lua's cjson writes an empty list as {}: anything but an array is empty.
                    change = new HoldingsChanged(volunteer, Strings(root, "a"), Strings(root, "r")) { AppliedAt = appliedAt };
                    return true;
                case "l" when root.TryGetProperty("l", out var l) && TryDecodeLoad(l.GetString(), out var report):
                    change = new LoadReported(volunteer, report);
                    return true;
                case "x":
                    change = new VolunteerRemoved(volunteer);
                    return true;
                default:
                    return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string[] Strings(JsonElement root, string name) =>
        root.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Select(e => e.GetString() ?? string.Empty).Where(s => s.Length > 0)]
            : [];

    private static async ValueTask<string?> NextMessageAsync(ChannelMessageQueue queue, CancellationToken resync, CancellationToken stopping)
    {
        try
        {
            return (await queue.ReadAsync(resync).ConfigureAwait(false)).Message.ToString();
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return null;
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            return null;
        }
    }

    private async ValueTask UnsubscribeAsync(ChannelMessageQueue queue)
    {
        try
        {
            await queue.UnsubscribeAsync(CommandFlags.FireAndForget).ConfigureAwait(false);
        }
        catch (Exception ex) when (StoreResilience.IsStoreFailure(ex) || ex is RedisException)
        {
            // The server forgets a dead connection's subscriptions by itself.
            LogUnsubscribeFailed(_logger, ex.Message);
        }
    }

    private async ValueTask<HoldingsSnapshot> ReadSnapshotAsync(CancellationToken cancellationToken)
    {
        var database = Database;
        var live = (RedisValue[]?)await database.ScriptEvaluateAsync(RedisSwarmScripts.Snapshot, [_keys.Registry, _keys.Epoch], [RedisStoreGeneration.NewEpoch()]).WaitAsync(cancellationToken).ConfigureAwait(false) ?? [];

        // The generation is read in the same step as the registry: a reader can tell a store that lost its state
        // (an empty registry in a new generation) from one where every volunteer left.
        var storeGeneration = RedisStoreGeneration.Parse(live);
        _generation.Observe(storeGeneration);

        // Not one atomic read (that would block Redis for the whole state): the reader subscribed before
        // reading, and replaying the changes made meanwhile on top of this read converges to the store.
        var ids = live.Skip(2).Select(v => v.ToString()).ToArray();
        var holdings = ids.Select(id => database.SetMembersAsync(_keys.Holdings(id))).ToArray();
        var loads = ids.Select(id => database.StringGetAsync(_keys.Load(id))).ToArray();
        var versions = ids.Length == 0 ? Task.FromResult(Array.Empty<RedisValue>()) : database.HashGetAsync(_keys.HoldingsVersions, [.. ids.Select(id => (RedisValue)id)]);
        await Task.WhenAll(Task.WhenAll(holdings), Task.WhenAll(loads), versions).WaitAsync(cancellationToken).ConfigureAwait(false);
        var versionsRead = await versions.ConfigureAwait(false);
        var writtenAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var holdingsById = new Dictionary<string, FrozenSet<string>>(StringComparer.Ordinal);
        var loadsById = new Dictionary<string, LoadReport>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++)
        {
            var members = await holdings[i].ConfigureAwait(false);
            if (members.Length > 0)
            {
                holdingsById[ids[i]] = members.Select(m => m.ToString()).ToFrozenSet(StringComparer.Ordinal);
            }

            if (versionsRead[i].TryParse(out long ms))
            {
                writtenAt[ids[i]] = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            }

            if (TryDecodeLoad(await loads[i].ConfigureAwait(false), out var report))
            {
                loadsById[ids[i]] = report;
            }
        }

        return new HoldingsSnapshot(holdingsById.ToFrozenDictionary(StringComparer.Ordinal), loadsById.ToFrozenDictionary(StringComparer.Ordinal))
        {
            Generation = storeGeneration,
            HoldingsWrittenAt = writtenAt.ToFrozenDictionary(StringComparer.Ordinal),
        };
    }

    private async ValueTask WriteAsync(string volunteerId, Action<PendingHoldingsWrites> buffer, Func<CancellationToken, ValueTask> write, CancellationToken cancellationToken)
    {
        // Writes for a volunteer with buffered writes join the buffer, so they reach Redis in order.
        if (!_pending.Contains(volunteerId))
        {
            try
            {
                await _resilience.Pipeline.ExecuteAsync(write, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when ((StoreResilience.IsStoreFailure(ex) || ex is OperationCanceledException) && !cancellationToken.IsCancellationRequested)
            {
                // A cancellation the caller did not ask for is the client giving up on a dead connection. One line
                // when buffering starts, not one per write: while Redis is down every write lands here.
                if (_pending.Count == 0)
                {
                    LogWritesBuffered(_logger, volunteerId, StoreResilience.ShortReason(ex));
                }
            }
        }

        buffer(_pending);
        StartFlushing();
    }

    private async ValueTask ReplaceNowAsync(string volunteerId, IReadOnlyCollection<string> contentIds, CancellationToken cancellationToken)
    {
        var args = new RedisValue[3 + contentIds.Count];
        Header(args, volunteerId);
        var i = 3;
        foreach (var content in contentIds)
        {
            args[i++] = content;
        }

        await EvaluateAsync(RedisSwarmScripts.Replace, volunteerId, args, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask UpdateNowAsync(string volunteerId, IReadOnlyCollection<string> added, IReadOnlyCollection<string> removed, CancellationToken cancellationToken)
    {
        var args = new RedisValue[4 + added.Count + removed.Count];
        Header(args, volunteerId);
        args[3] = added.Count;
        var i = 4;
        foreach (var content in added.Concat(removed))
        {
            args[i++] = content;
        }

        await EvaluateAsync(RedisSwarmScripts.Update, volunteerId, args, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask ReportLoadNowAsync(string volunteerId, LoadReport report, CancellationToken cancellationToken)
    {
        var args = new RedisValue[4];
        Header(args, volunteerId);
        args[3] = EncodeLoad(report);
        await EvaluateAsync(RedisSwarmScripts.ReportLoad, volunteerId, args, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<long> RemoveNowAsync(string volunteerId, bool onlyIfExpired, CancellationToken cancellationToken)
    {
        var args = new RedisValue[4];
        Header(args, volunteerId);
        args[3] = onlyIfExpired ? "1" : "0";
        return (long)await EvaluateAsync(RedisSwarmScripts.Remove, volunteerId, args, cancellationToken).ConfigureAwait(false);
    }

    private void Header(RedisValue[] args, string volunteerId)
    {
        args[0] = volunteerId;
        args[1] = _ttl;
        args[2] = _keys.Changes.ToString();
    }

    private async Task<RedisResult> EvaluateAsync(string script, string volunteerId, RedisValue[] args, CancellationToken cancellationToken) =>
        await Database.ScriptEvaluateAsync(script, [_keys.Registry, _keys.Holdings(volunteerId), _keys.Load(volunteerId), _keys.HoldingsVersions], args)
            .WaitAsync(cancellationToken).ConfigureAwait(false);

    private void StartFlushing()
    {
        _health.SetPendingWrites(_pending.Count);
        Flusher.Start();
    }

    /// <summary>One pass of the write-through: volunteer by volunteer, until Redis fails again.</summary>
    private async Task FlushPassAsync(CancellationToken cancellationToken)
    {
        foreach (var pending in _pending.Peek())
        {
            try
            {
                await _resilience.Pipeline.ExecuteAsync(ct => WritePendingAsync(pending, ct), cancellationToken).ConfigureAwait(false);
                _pending.Complete(pending);
            }
            catch (Exception ex) when (StoreResilience.IsStoreFailure(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                break;
            }
            catch (RedisException ex)
            {
                // Not an outage: Redis refused this write, and would refuse it again.
                LogPendingDropped(_logger, pending.VolunteerId, ex.Message);
                _pending.Complete(pending);
            }
        }

        _health.SetPendingWrites(_pending.Count);
    }

    private async ValueTask WritePendingAsync(PendingVolunteerWrite pending, CancellationToken cancellationToken)
    {
        if (pending.Forget)
        {
            await RemoveNowAsync(pending.VolunteerId, onlyIfExpired: false, cancellationToken).ConfigureAwait(false);
        }

        if (pending.Replace is { } holdings)
        {
            await ReplaceNowAsync(pending.VolunteerId, holdings, cancellationToken).ConfigureAwait(false);
        }
        else if (pending.Added.Count > 0 || pending.Removed.Count > 0)
        {
            await UpdateNowAsync(pending.VolunteerId, pending.Added, pending.Removed, cancellationToken).ConfigureAwait(false);
        }

        if (pending.Load is { } load)
        {
            await ReportLoadNowAsync(pending.VolunteerId, load, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis did not take a write for volunteer {Volunteer} ({Reason}); buffering writes, will write them when Redis is back")]
    private static partial void LogWritesBuffered(ILogger logger, string volunteer, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis refused the buffered writes for volunteer {Volunteer} ({Reason}); dropped them")]
    private static partial void LogPendingDropped(ILogger logger, string volunteer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a change notification that could not be read: {Message}")]
    private static partial void LogUnreadableChange(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Unsubscribing from the change channel failed ({Reason})")]
    private static partial void LogUnsubscribeFailed(ILogger logger, string reason);
}
