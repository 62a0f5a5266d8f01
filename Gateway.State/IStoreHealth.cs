namespace Gateway.State;

/// <summary>What a store says about its own connection, for readiness and the <c>gateway.store.reachable</c> gauge.</summary>
/// <param name="Reachable">False while the store cannot be read or written (readers serve from their last view).</param>
/// <param name="Description">A sentence for ops: what the store is and, when unreachable, why.</param>
public readonly record struct StoreStatus(bool Reachable, string Description);

/// <summary>
/// Implemented by a store that can lose its connection (Redis). A store that does not implement it (the
/// in-memory store) is always reachable.
/// </summary>
public interface IStoreHealth
{
    /// <summary>The connection state now; cheap (no network call), read at every scrape and readiness probe.</summary>
    StoreStatus Status { get; }
}
