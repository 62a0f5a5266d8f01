namespace Gateway.State;

/// <summary>
/// Tells writers and readers that the store lost (some of) its memory: Redis restarted without persistence, was
/// flushed, or a replica took over. Writers then write again what they know; readers treat what they can no longer
/// read as unknown, not as "nobody holds anything" (docs/redis.md, "Redis restarted empty").
/// </summary>
public interface IStoreResets
{
    /// <summary>How many resets this process has detected so far; a reader compares it with the count it last saw.</summary>
    long Resets { get; }

    /// <summary>Raised once per detected reset, on the thread that detected it; handlers start their work and return.</summary>
    event EventHandler<StoreResetEventArgs>? ResetDetected;

    /// <summary>Asks the store now whether it was reset since the last check (false while it cannot be asked).</summary>
    ValueTask<bool> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>Why the store is believed to have lost its state, in a few words for the log.</summary>
public sealed class StoreResetEventArgs(string reason) : EventArgs
{
    public string Reason { get; } = reason;
}
