namespace Gateway.Feedback.Store;

/// <summary>
/// What an operator set by hand for a volunteer (in the balancer-manager): it outlives a gateway restart, and
/// with the Redis store every gateway sees the same. A null member means "as configured".
/// </summary>
/// <param name="Weight">Apache's <c>loadfactor</c> (1–1000), or null to keep the configured weight.</param>
/// <param name="Disabled">Apache's <c>D</c> flag: takes no customers at all.</param>
/// <param name="Drain">Apache's <c>N</c> flag: keeps its transfers in flight but takes no new customers.</param>
/// <param name="HotStandby">Apache's <c>H</c> flag: takes customers only when no other member can.</param>
/// <param name="LbSet">Apache's <c>lbset</c>: lower sets are tried first.</param>
/// <param name="SetAt">When it was set (for the balancer-manager page).</param>
public sealed record VolunteerOverride(int? Weight, bool? Disabled, bool? Drain, bool? HotStandby, int? LbSet, DateTimeOffset SetAt);

/// <summary>Hand-set weights and status flags per volunteer, kept in the swarm store's place (memory or Redis).</summary>
public interface IVolunteerOverrides
{
    /// <summary>Sets (replaces) the volunteer's override.</summary>
    ValueTask SetAsync(string volunteerId, VolunteerOverride value, CancellationToken cancellationToken);

    /// <summary>Goes back to the configured settings for the volunteer.</summary>
    ValueTask ClearAsync(string volunteerId, CancellationToken cancellationToken);

    /// <summary>Every override now, by volunteer id.</summary>
    ValueTask<IReadOnlyDictionary<string, VolunteerOverride>> GetAllAsync(CancellationToken cancellationToken);
}
