using Gateway.State.Resilience;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.State.Redis;

/// <summary>
/// Detects that Redis lost the swarm state under a running process: the epoch key (<c>{P}:epoch</c>) changed or
/// vanished, or another server process (run id) answers for the swarm slot. It asks every <c>Store:RetryInterval</c>
/// and whenever a snapshot is read, and raises <see cref="ResetDetected"/> once per reset, so writers write again
/// what they know and readers keep their last view (docs/redis.md, "Redis restarted empty").
/// </summary>
public sealed partial class RedisStoreGeneration(
    RedisConnection connection,
    StoreResilience resilience,
    IOptions<StoreOptions> options,
    ILogger<RedisStoreGeneration> logger) : IStoreResets
{
    private readonly RedisKey[] _keys = [new RedisSwarmKeys(options.Value.KeyPrefix).Epoch];
    private readonly Lock _gate = new();
    private StoreGeneration? _known;
    private long _resets;

    public long Resets => Interlocked.Read(ref _resets);

    public event EventHandler<StoreResetEventArgs>? ResetDetected;

    public async ValueTask<bool> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await resilience.Pipeline.ExecuteAsync(
                async ct => await connection.Multiplexer.GetDatabase().ScriptEvaluateAsync(RedisSwarmScripts.Generation, _keys, [NewEpoch()]).WaitAsync(ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            return Observe(Parse((RedisValue[]?)result ?? []));
        }
        catch (Exception ex) when (StoreResilience.IsStoreFailure(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Unreachable now: the follower and the connection say so; the next check asks again.
            return false;
        }
    }

    /// <summary>Takes a generation read with other data (a snapshot); true when it shows a reset.</summary>
    public bool Observe(StoreGeneration seen)
    {
        string? reason;
        lock (_gate)
        {
            reason = StoreGeneration.ResetReason(_known, seen);
            _known = seen;
        }

        if (reason is null)
        {
            return false;
        }

        Interlocked.Increment(ref _resets);
        LogResetDetected(logger, reason);
        ResetDetected?.Invoke(this, new StoreResetEventArgs(reason));
        return true;
    }

    /// <summary>A candidate epoch for the scripts to set when the key is missing.</summary>
    internal static RedisValue NewEpoch() => Guid.NewGuid().ToString("N");

    /// <summary>Reads {epoch, run id, …} as the scripts return it.</summary>
    internal static StoreGeneration Parse(RedisValue[] values) =>
        values.Length >= 2 ? new StoreGeneration(values[0].ToString(), values[1].ToString()) : throw new RedisException("The generation script returned no generation.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis lost the swarm state ({Reason}); writers write again what they know, gateways keep their last view until then")]
    private static partial void LogResetDetected(ILogger logger, string reason);
}
