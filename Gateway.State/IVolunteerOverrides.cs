namespace Gateway.State;

/// <summary>
/// What an operator set by hand for a volunteer (a balancer-manager edit): it outlives a gateway restart, and
/// with the Redis store every gateway sees the same. A null member means "as configured".
/// </summary>
/// <param name="LbFactor">Apache's <c>loadfactor</c> in hundredths (balancer-manager's <c>lf</c> 1–100 → 100–10000).</param>
/// <param name="LbSet">Apache's <c>lbset</c>: lower sets are tried first.</param>
/// <param name="Route">Apache's <c>route</c>.</param>
/// <param name="RouteRedirect">Apache's <c>redirect</c> (balancer-manager's <c>rr</c>): the route a sticky request for this member goes to instead.</param>
/// <param name="Status">The administrative status flags as Apache writes them, e.g. <c>+D</c> (disabled), <c>+N</c>
/// (drain), <c>+H</c> (hot standby); empty for none.</param>
/// <param name="SetAt">When it was set.</param>
public sealed record VolunteerOverride(int? LbFactor, int? LbSet, string? Route, string? Status, DateTimeOffset SetAt, string? RouteRedirect = null);

/// <summary>
/// Hand-set weights and status flags per volunteer, and the balancer's hand-set lbmethod, kept in the swarm
/// store's place (memory or Redis).
/// </summary>
public interface IVolunteerOverrides
{
    /// <summary>Sets (replaces) the volunteer's override.</summary>
    ValueTask SetAsync(string volunteerId, VolunteerOverride value, CancellationToken cancellationToken);

    /// <summary>Goes back to the configured settings for the volunteer.</summary>
    ValueTask ClearAsync(string volunteerId, CancellationToken cancellationToken);

    /// <summary>Every override now, by volunteer id.</summary>
    ValueTask<IReadOnlyDictionary<string, VolunteerOverride>> GetAllAsync(CancellationToken cancellationToken);

    /// <summary>Sets the balancer's lbmethod (Apache's <c>lbmethod</c>), or goes back to the configured one with null.</summary>
    ValueTask SetLbMethodAsync(string? lbMethod, CancellationToken cancellationToken);

    /// <summary>The hand-set lbmethod, or null when configuration decides.</summary>
    ValueTask<string?> GetLbMethodAsync(CancellationToken cancellationToken);
}
