using System.Text.Json.Serialization;
using Gateway.Core.Catalog;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Metrics;
using Gateway.State;
using Gateway.State.Views;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Health;

/// <summary>The catalog part of a readiness answer.</summary>
public sealed record CatalogReadiness(bool Loaded, int Files, string? Version, DateTimeOffset? LoadedAt);

/// <summary>
/// The volunteers part of a readiness answer: how many are configured, how many can be chosen now, and how many of
/// those hold something; <c>degraded</c> with the reason when customers can only get the origin.
/// </summary>
public sealed record VolunteersReadiness(string State, int Configured, int Usable, int Holding, string? Reason);

/// <summary>The swarm-store part of a readiness answer: <c>healthy</c>, or <c>degraded</c> with the reason.</summary>
public sealed record StoreReadiness(string State, string Description, string? Reason, double? ViewAgeSeconds);

/// <summary>
/// What <c>/readyz</c> answers. <c>ready</c> and <c>degraded</c> both serve customers (200: a gateway whose
/// store is down keeps serving from its last view, which beats sending its customers nowhere);
/// <c>not_ready</c> (503) means no catalog is loaded yet, so every download would go to the origin.
/// </summary>
public sealed record ReadinessReport(string Status, CatalogReadiness Catalog, StoreReadiness Store, VolunteersReadiness Volunteers)
{
    public const string Ready = "ready";
    public const string Degraded = "degraded";
    public const string NotReady = "not_ready";

    [JsonIgnore]
    public bool ServesCustomers => Status != NotReady;
}

/// <summary>Readiness thresholds (section <c>Readiness</c>).</summary>
public sealed class ReadinessOptions
{
    public const string Section = "Readiness";

    /// <summary>A swarm view that took nothing from the store for longer than this is degraded (the follower reconciles every 60 s).</summary>
    public TimeSpan MaxViewStaleness { get; set; } = TimeSpan.FromMinutes(3);
}

internal sealed class ReadinessOptionsValidator : IValidateOptions<ReadinessOptions>
{
    public ValidateOptionsResult Validate(string? name, ReadinessOptions options) =>
        options.MaxViewStaleness >= TimeSpan.FromSeconds(1)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Readiness:MaxViewStaleness {options.MaxViewStaleness} is too short; use at least 00:00:01 (the store is reconciled every 60 s).");
}

/// <summary>Decides readiness from the catalog and the holdings store (<c>/readyz</c>).</summary>
public sealed class ReadinessCheck(
    CatalogState catalog,
    IOptionsMonitor<CatalogOptions> catalogOptions,
    IHoldingsStore store,
    HoldingsView view,
    VolunteerState volunteers,
    IProxyStateLookup proxyState,
    IOptionsMonitor<ReadinessOptions> options,
    TimeProvider time)
{
    public ReadinessReport Check()
    {
        var current = catalog.Current;
        var catalogPart = catalog.IsLoaded
            ? new CatalogReadiness(true, current.Count, current.Version, catalog.LoadedAt)
            : new CatalogReadiness(false, 0, null, null);

        var status = HoldingsViewMetrics.StoreStatus(store);
        var lastSync = view.LastSync;
        double? viewAge = lastSync == DateTimeOffset.MinValue ? null : Math.Max(0, (time.GetUtcNow() - lastSync).TotalSeconds);
        var maxAge = options.CurrentValue.MaxViewStaleness;
        string? reason = null;
        if (!status.Reachable)
        {
            reason = $"the holdings store is unreachable ({status.Description}); serving from the last view";
        }
        else if (viewAge is null)
        {
            reason = "the swarm view has not loaded a snapshot from the store yet";
        }
        else if (viewAge > maxAge.TotalSeconds)
        {
            reason = $"the swarm view took nothing from the store for {viewAge:F0} s (more than Readiness:MaxViewStaleness {maxAge})";
        }

        var storePart = new StoreReadiness(reason is null ? "healthy" : ReadinessReport.Degraded, status.Description, reason, viewAge);
        var volunteersPart = CheckVolunteers(catalogOptions.CurrentValue.IsConfigured && current.Count > 0);

        // Without a catalog configured (an Apache-style balancer) there is nothing to wait for.
        var overall = catalogOptions.CurrentValue.IsConfigured && !catalog.IsLoaded ? ReadinessReport.NotReady
            : reason is null && volunteersPart.Reason is null ? ReadinessReport.Ready
            : ReadinessReport.Degraded;
        return new ReadinessReport(overall, catalogPart, storePart, volunteersPart);
    }

    /// <summary>
    /// Degraded (still serving, from the origin) when no volunteer can be chosen, or, with published files, when none of
    /// those that can holds any: then every download is the origin's, which the gateway exists to avoid.
    /// </summary>
    private VolunteersReadiness CheckVolunteers(bool needsHoldings)
    {
        var cluster = proxyState.TryGetCluster(GatewayClusters.Volunteers, out var c) ? c : null;
        var configured = 0;
        var usable = 0;
        var holding = 0;
        var unusable = new List<string>();
        foreach (var volunteer in volunteers.Configured)
        {
            configured++;
            DestinationState? destination = null;
            cluster?.Destinations.TryGetValue(volunteer.Id, out destination);
            if (volunteers.IsAvailable(volunteer.Id, destination))
            {
                usable++;
                holding += view.HoldingsOf(volunteer.Id) > 0 ? 1 : 0;
            }
            else if (unusable.Count < 10)
            {
                unusable.Add($"{volunteer.Id}: {volunteers.WhyUnavailable(volunteer.Id, destination)}");
            }
        }

        string? reason = configured == 0 ? "no volunteers are configured; every download comes from the origin"
            : usable == 0 ? $"no volunteer can be chosen ({string.Join("; ", unusable)}); every download comes from the origin"
            : needsHoldings && holding == 0 ? $"none of the {usable} usable volunteers holds a published file (inventories or announces missing); every download comes from the origin"
            : null;
        return new VolunteersReadiness(reason is null ? "healthy" : ReadinessReport.Degraded, configured, usable, holding, reason);
    }
}
