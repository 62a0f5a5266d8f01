using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// Apache's <c>bytraffic</c>: the candidate with the least traffic per unit of load factor, counting bytes
/// sent to and received from it (each divided by the factor in whole numbers, as Apache does).
/// </summary>
public sealed class ByTrafficPolicy(BalancerMembers members) : ILoadBalancingPolicy
{
    public const string PolicyName = "bytraffic";

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
        private long _minTraffic;

        public bool IsBetter(BalancerMember current, BalancerMember? best)
        {
            var traffic = (current.Transferred / current.LbFactor) + (current.Read / current.LbFactor);
            if (best is null || traffic < _minTraffic)
            {
                _minTraffic = traffic;
                return true;
            }

            return false;
        }

        public readonly void Chosen(BalancerMember chosen)
        {
        }
    }
}
