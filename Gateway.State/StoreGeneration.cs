namespace Gateway.State;

/// <summary>
/// Which memory a store answers from: a random id kept in the store (gone when it restarts empty or is flushed) and the
/// id of the server process that answers for it (new after a restart or a failover, which may have lost recent writes).
/// </summary>
/// <param name="Epoch">The store's generation key; whoever finds it missing sets a new one.</param>
/// <param name="Server">The answering server's run id (Redis <c>INFO server</c>'s <c>run_id</c>).</param>
public readonly record struct StoreGeneration(string Epoch, string Server)
{
    /// <summary>
    /// Why the store seen now cannot be trusted to hold what it held when <paramref name="known"/> was seen, or null when it
    /// can (or when nothing was known before: a first look is not a reset).
    /// </summary>
    public static string? ResetReason(StoreGeneration? known, StoreGeneration seen) => known switch
    {
        null => null,
        { } k when !string.Equals(k.Epoch, seen.Epoch, StringComparison.Ordinal) => "its generation key is gone: restarted empty, flushed, or an empty replica took over",
        { } k when !string.Equals(k.Server, seen.Server, StringComparison.Ordinal) => "another server process answers for it: a restart or failover may have lost recent writes",
        _ => null,
    };
}
