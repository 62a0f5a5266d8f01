using Gateway.Core.Catalog;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.BalancerManager;

/// <summary>One member's row: Apache's balancer-manager columns, then the gateway's own.</summary>
public sealed record ManagerMemberRow(
    string Id,
    string WorkerUrl,
    string Route,
    string RouteRedir,
    double Factor,
    int Set,
    string Status,
    string StatusFlags,
    long Elected,
    int Busy,
    int Load,
    long To,
    long From,
    int FilesHeld,
    double? FeedbackLoad,
    double? FeedbackAgeSeconds,
    string Health);

/// <summary>The balancer's row and its members, as the page and the JSON view show them.</summary>
public sealed record ManagerBalancerView(string Name, string LbMethod, IReadOnlyList<string> LbMethods, string Nonce, IReadOnlyList<ManagerMemberRow> Members);

/// <summary>Builds the balancer-manager's view from the members' state, <see cref="VolunteerState"/> (holdings, feedback) and YARP's health.</summary>
public sealed class BalancerManagerView(
    BalancerMembers members,
    VolunteerState volunteers,
    CatalogState catalog,
    IProxyStateLookup proxyState,
    IOptionsMonitor<SelectionOptions> selection,
    IEnumerable<Yarp.ReverseProxy.LoadBalancing.ILoadBalancingPolicy> policies,
    TimeProvider time)
{
    private readonly string[] _methods = [.. policies.Select(p => p.Name).Order(StringComparer.Ordinal)];

    public IReadOnlyList<string> LbMethods => _methods;

    public ManagerBalancerView Build(string nonce)
    {
        var held = FilesHeld();
        var now = time.GetUtcNow();
        proxyState.TryGetCluster(GatewayClusters.Volunteers, out var cluster);
        var rows = members.All.Select(m =>
        {
            var load = volunteers.ReportedLoad(m.Id, out var reportedAt);
            return new ManagerMemberRow(
                m.Id,
                volunteers.Find(m.Id)?.BaseUrl.ToString() ?? string.Empty,
                m.Route,
                m.RouteRedirect,
                m.LbFactor / 100.0,
                m.LbSet,
                MemberStatusFlags.Describe(m.Status),
                MemberStatusFlags.Format(m.AdminStatus),
                m.Elected,
                m.Busy,
                m.LbStatus,
                m.Transferred,
                m.Read,
                held.GetValueOrDefault(m.Id),
                load,
                load is null ? null : Math.Round((now - reportedAt).TotalSeconds, 1),
                Health(cluster, m.Id));
        }).ToList();
        return new ManagerBalancerView($"balancer://{GatewayClusters.Volunteers}", selection.CurrentValue.Policy, _methods, nonce, rows);
    }

    private Dictionary<string, int> FilesHeld()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var content in catalog.IsLoaded ? catalog.Current.ContentIds : [])
        {
            foreach (var holder in volunteers.HoldersOf(content))
            {
                counts[holder] = counts.GetValueOrDefault(holder) + 1;
            }
        }

        return counts;
    }

    private static string Health(ClusterState? cluster, string id) =>
        cluster is not null && cluster.Destinations.TryGetValue(id, out var destination)
            ? $"active {destination.Health.Active}, passive {destination.Health.Passive}"
            : "not in the cluster";
}
