using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// Apache's <c>bybusyness</c>: the candidate with the fewest requests in flight; among equally busy ones,
/// byrequests' lbstatus decides (so with no concurrency it is byrequests).
/// </summary>
public sealed class ByBusynessPolicy(BalancerMembers members) : ILoadBalancingPolicy
{
    public const string PolicyName = "bybusyness";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (members.TryPickSticky(context, availableDestinations, out var routed))
        {
            return routed;
        }

        var scorer = new Scorer();
        return members.Pick(availableDestinations, ref scorer);
    }

    private struct Scorer : IMemberScorer
    {
        private ByRequestsPolicy.Scorer _byRequests;

        public bool IsBetter(BalancerMember current, BalancerMember? best)
        {
            _byRequests.Credit(current);
            if (best is null)
            {
                return true;
            }

            var busy = current.Busy;
            var bestBusy = best.Busy;
            return busy < bestBusy || (busy == bestBusy && current.LbStatus > best.LbStatus);
        }

        public readonly void Chosen(BalancerMember chosen) => _byRequests.Chosen(chosen);
    }
}
