using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.State;
using Gateway.State.Redis;
using Gateway.State.Resilience;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Delivery.Quarantine;

/// <summary>
/// With <c>Store:Kind=Redis</c>, shares the quarantine between the gateways: what this gateway quarantines or clears
/// goes to one Redis hash (<c>{prefix}:quarantine</c>, field = volunteer id, value = the record as JSON; the first
/// offense's record stays), and every <c>Verify:QuarantineSyncInterval</c> the hash is read back and what others
/// added or removed since the last read is applied here. While Redis is away each gateway keeps its own list and
/// the changes wait; nothing is lost. When Redis lost its state (restarted empty, flushed, failed over) an empty hash
/// clears nothing here: each gateway writes its whole list again.
/// </summary>
public sealed partial class SharedQuarantine : BackgroundService
{
    private readonly QuarantineList _quarantine;
    private readonly RedisConnection _connection;
    private readonly IStoreResets _resets;
    private readonly IOptionsMonitor<VerifyOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SharedQuarantine> _logger;
    private readonly RedisKey _key;
    private readonly ConcurrentQueue<QuarantineChangedEventArgs> _pending = new();
    private HashSet<string> _lastShared = new(StringComparer.Ordinal);
    private long _seenResets;
    private bool _unavailable;

    public SharedQuarantine(QuarantineList quarantine, RedisConnection connection, IStoreResets resets, IOptions<StoreOptions> store, IOptionsMonitor<VerifyOptions> options, TimeProvider time, ILogger<SharedQuarantine> logger)
    {
        ArgumentNullException.ThrowIfNull(quarantine);
        ArgumentNullException.ThrowIfNull(store);
        _quarantine = quarantine;
        _connection = connection;
        _resets = resets;
        _seenResets = resets.Resets;
        _options = options;
        _time = time;
        _logger = logger;

        // The swarm keys' hash tag (RedisSwarmKeys), so in a cluster it lives in the same slot as the rest.
        _key = "{" + store.Value.KeyPrefix + "}:quarantine";

        // What this gateway already holds (from Verify:QuarantineFile) is shared too.
        foreach (var record in quarantine.All)
        {
            _pending.Enqueue(new QuarantineChangedEventArgs(record.Volunteer, record));
        }

        quarantine.Changed += (_, change) => _pending.Enqueue(change);
    }

    /// <summary>One round: this gateway's changes out, then the others' in. False when Redis did not answer.</summary>
    public async Task<bool> SyncOnceAsync()
    {
        try
        {
            var database = _connection.Multiplexer.GetDatabase();
            while (_pending.TryPeek(out var change))
            {
                _ = change.Added is { } record
                    ? await database.HashSetAsync(_key, record.Volunteer, JsonSerializer.Serialize(record, VerificationJsonContext.Default.QuarantineRecord), When.NotExists).ConfigureAwait(false)
                    : await database.HashDeleteAsync(_key, change.Volunteer).ConfigureAwait(false);
                _pending.TryDequeue(out _);
            }

            var entries = await database.HashGetAllAsync(_key).ConfigureAwait(false);

            // Asked after the read: a reset before it shows here, so a hash Redis lost is never read as "all cleared".
            await _resets.CheckAsync(CancellationToken.None).ConfigureAwait(false);
            if (_resets.Resets != _seenResets)
            {
                _seenResets = _resets.Resets;
                _lastShared = new HashSet<string>(StringComparer.Ordinal);
                var records = _quarantine.All;
                foreach (var record in records)
                {
                    _pending.Enqueue(new QuarantineChangedEventArgs(record.Volunteer, record));
                }

                LogRewriting(_logger, records.Count);
                return await SyncOnceAsync().ConfigureAwait(false);
            }

            var shared = new Dictionary<string, QuarantineRecord>(entries.Length, StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                if (JsonSerializer.Deserialize(entry.Value.ToString(), VerificationJsonContext.Default.QuarantineRecord) is { } record)
                {
                    shared[entry.Name.ToString()] = record;
                }
            }

            // Only differences since the last read: a change of this gateway's not yet written is never undone.
            var added = shared.Where(s => !_lastShared.Contains(s.Key)).Select(s => s.Value).ToList();
            var cleared = _lastShared.Where(id => !shared.ContainsKey(id)).ToList();
            _quarantine.ApplyShared(added, cleared);
            _lastShared = [.. shared.Keys];
            _unavailable = false;
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException or ObjectDisposedException)
        {
            // One line when it becomes unavailable, not one per sync while it stays so.
            if (!_unavailable)
            {
                _unavailable = true;
                LogSyncFailed(_logger, ex is JsonException ? ex.Message : StoreResilience.ShortReason(ex));
            }

            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await SyncOnceAsync().ConfigureAwait(false);
            try
            {
                await Task.Delay(_options.CurrentValue.QuarantineSyncInterval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis lost the shared quarantine; writing this gateway's {Count} quarantined volunteers again")]
    private static partial void LogRewriting(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shared quarantine in Redis unavailable ({Reason}); this gateway's list holds and its changes wait")]
    private static partial void LogSyncFailed(ILogger logger, string reason);
}
