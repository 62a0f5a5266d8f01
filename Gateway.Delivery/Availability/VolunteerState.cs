using Gateway.Delivery.Load;
using Gateway.Delivery.Quarantine;
using Gateway.Delivery.Volunteers;
using Gateway.State.Views;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Availability;

/// <summary>
/// The one answer to "which volunteers may take this request, and how loaded are they", composed from the places
/// that keep each part: configuration (<see cref="VolunteerDirectory"/>: known and enabled, weight), quarantine
/// (<see cref="QuarantineList"/>), holdings (<see cref="HoldingsView"/>), YARP's health state, and load
/// (<see cref="LoadEstimator"/>: the feedback report plus this gateway's own dispatches).
/// Every answer is a few lock-free lookups and awaits nothing: the holders step asks it on every request.
/// </summary>
/// <remarks>
/// Apache's member status flags are not a yes/no of this service: a draining member still takes its sticky
/// requests, a member in error comes back when its retry passes during a pick, and hot spares and standbys
/// depend on the rest of their lbset. The Apache lbmethods apply them to the candidates this service yields
/// (<c>ApachePickRules</c>, <c>BalancerMembers</c>); the other policies do not read them.
/// </remarks>
public sealed class VolunteerState(VolunteerDirectory directory, HoldingsView swarm, QuarantineList quarantine, StallBench stalls, LoadEstimator estimator)
{
    /// <summary>The configured volunteers (enabled or not).</summary>
    public IReadOnlyCollection<VolunteerInfo> Configured => directory.All;

    /// <summary>The volunteer as configured, or null when it is not.</summary>
    public VolunteerInfo? Find(string volunteerId) => directory.Find(volunteerId);

    /// <summary>The volunteers that hold <paramref name="contentId"/> completely (empty when none).</summary>
    public string[] HoldersOf(string contentId) => swarm.HoldersOf(contentId);

    public bool IsQuarantined(string volunteerId) => quarantine.Contains(volunteerId);

    /// <summary>
    /// The usable-holder test, apart from health: the volunteer is among <paramref name="holders"/>, configured and
    /// enabled, not quarantined and not benched for stalling.
    /// </summary>
    public bool MayServe(string volunteerId, string[] holders)
    {
        ArgumentNullException.ThrowIfNull(holders);
        return Array.IndexOf(holders, volunteerId) >= 0 && IsUsable(volunteerId);
    }

    /// <summary>
    /// May this destination take a request for <paramref name="contentId"/> now: healthy (<see cref="IsHealthy"/>)
    /// and a usable holder (<see cref="MayServe"/>).
    /// </summary>
    public bool MayTake(DestinationState destination, string contentId)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return IsHealthy(destination) && MayServe(destination.DestinationId, swarm.HoldersOf(contentId));
    }

    /// <summary>
    /// Could the volunteer be chosen for some file: configured and enabled, not quarantined or benched, in the
    /// volunteers cluster (<paramref name="destination"/> not null) and healthy.
    /// </summary>
    public bool IsAvailable(string volunteerId, DestinationState? destination) =>
        IsUsable(volunteerId) && destination is not null && IsHealthy(destination);

    public bool IsBenched(string volunteerId) => stalls.IsBenched(volunteerId);

    /// <summary>Why <see cref="IsAvailable"/> says no, in a few words (for readiness and the status pages).</summary>
    public string WhyUnavailable(string volunteerId, DestinationState? destination) =>
        directory.Find(volunteerId) is not { } volunteer ? "not configured"
        : !volunteer.Enabled ? "disabled"
        : quarantine.Contains(volunteerId) ? "quarantined"
        : stalls.IsBenched(volunteerId) ? "benched for stalling"
        : destination is null ? "not in the volunteers cluster"
        : destination.Health.Active == DestinationHealth.Unhealthy ? "active health probe failing"
        : destination.Health.Passive == DestinationHealth.Unhealthy ? "failing requests (passive health)"
        : "available";

    /// <summary>
    /// YARP's health for one destination: neither check says unhealthy. The same rule as the cluster's
    /// HealthyAndUnknown policy while both checks are on; a list of YARP's available destinations is healthy as it is.
    /// </summary>
    public static bool IsHealthy(DestinationState destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return destination.Health.Active != DestinationHealth.Unhealthy && destination.Health.Passive != DestinationHealth.Unhealthy;
    }

    /// <summary>
    /// The usable holders of <paramref name="contentId"/> among <paramref name="available"/> (YARP's available, so
    /// healthy, destinations), in their order: <paramref name="available"/> itself when every one is usable (the
    /// common full mirror set costs no copy), an empty list when none is.
    /// </summary>
    public IReadOnlyList<DestinationState> UsableHolders(string contentId, IReadOnlyList<DestinationState> available)
    {
        ArgumentNullException.ThrowIfNull(available);
        var holders = swarm.HoldersOf(contentId);
        return holders.Length == 0 ? [] : Narrow(available, holders);
    }

    /// <summary>
    /// As <see cref="UsableHolders"/> for a path outside any catalog: every configured, enabled, unquarantined volunteer
    /// counts as holding it, as every member of an Apache balancer does.
    /// </summary>
    public IReadOnlyList<DestinationState> UsableMembers(IReadOnlyList<DestinationState> available)
    {
        ArgumentNullException.ThrowIfNull(available);
        return Narrow(available, holders: null);
    }

    // holders null: any configured volunteer holds it.
    private IReadOnlyList<DestinationState> Narrow(IReadOnlyList<DestinationState> available, string[]? holders)
    {
        // Index loops: foreach over the interface would box the list's enumerator on every request.
        var usable = 0;
        for (var i = 0; i < available.Count; i++)
        {
            usable += Usable(available[i].DestinationId, holders) ? 1 : 0;
        }

        if (usable == available.Count || usable == 0)
        {
            return usable == 0 ? [] : available;
        }

        var narrowed = new DestinationState[usable];
        var n = 0;
        for (var i = 0; i < available.Count; i++)
        {
            if (Usable(available[i].DestinationId, holders))
            {
                narrowed[n++] = available[i];
            }
        }

        return narrowed;
    }

    private bool Usable(string volunteerId, string[]? holders) =>
        holders is null ? IsUsable(volunteerId) : MayServe(volunteerId, holders);

    /// <summary>The configured weight (relative capacity); 1 for a volunteer not configured.</summary>
    public int WeightOf(string volunteerId) => directory.Find(volunteerId)?.Weight ?? 1;

    /// <summary>The reported part of the load, or null without a fresh report (<see cref="LoadEstimator.ReportedLoad"/>).</summary>
    public double? ReportedLoad(string volunteerId, out DateTimeOffset reportedAt) => estimator.ReportedLoad(volunteerId, out reportedAt);

    /// <summary>
    /// What this gateway sent the volunteer since <paramref name="reportedAt"/> (<see cref="LoadEstimator.LocalLoad"/>),
    /// plus one transfer for each recent stall report: a customer that waited on it, which its own report may not show.
    /// </summary>
    public double LocalLoad(string volunteerId, DateTimeOffset reportedAt) => estimator.LocalLoad(volunteerId, reportedAt) + stalls.RecentStalls(volunteerId);

    /// <summary>The bytes its customer transfers still have to send (<see cref="LoadEstimator.BytesLeft"/>).</summary>
    public double BytesLeft(string volunteerId, DateTimeOffset reportedAt) => estimator.BytesLeft(volunteerId, reportedAt);

    /// <summary>The estimated load in transfers: the fresh reported load (0 without one) plus this gateway's own since.</summary>
    public double Load(string volunteerId)
    {
        var reported = estimator.ReportedLoad(volunteerId, out var reportedAt);
        return (reported ?? 0) + LocalLoad(volunteerId, reportedAt);
    }

    private bool IsUsable(string volunteerId) =>
        directory.Find(volunteerId) is { Enabled: true } && !quarantine.Contains(volunteerId) && !stalls.IsBenched(volunteerId);
}
