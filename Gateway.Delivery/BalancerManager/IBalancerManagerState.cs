namespace Gateway.Delivery.BalancerManager;

/// <summary>
/// Where balancer-manager edits are kept across restarts: loaded before the gateway serves, written after each
/// edit. A local file with the in-memory store; the shared store (<c>IVolunteerOverrides</c>) with Redis.
/// </summary>
public interface IBalancerManagerState : IHostedService
{
    /// <summary>Keeps the current edits and lbmethod; false when they could not be kept (the edit still applies here).</summary>
    Task<bool> SaveAsync(CancellationToken cancellationToken);
}
