using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// Apache's <c>byrequests</c>: smooth weighted round robin. Each usable candidate's lbstatus grows by its
/// load factor, the largest lbstatus wins (the first in configuration order on a tie), and the winner's
/// lbstatus drops by the sum of the factors handed out, so over one cycle each member serves exactly its share.
/// </summary>
public sealed class ByRequestsPolicy(BalancerMembers members) : ILoadBalancingPolicy
{
    public const string PolicyName = "byrequests";

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

    /// <summary>byrequests' test, shared with bybusyness for its tie-break.</summary>
    internal struct Scorer : IMemberScorer
    {
        private int _totalFactor;

        public bool IsBetter(BalancerMember current, BalancerMember? best)
        {
            Credit(current);
            return best is null || current.LbStatus > best.LbStatus;
        }

        /// <summary>Hands a candidate its share of credit (lbstatus += lbfactor) and counts it in the total.</summary>
        public void Credit(BalancerMember current)
        {
            current.LbStatus += current.LbFactor;
            _totalFactor += current.LbFactor;
        }

        public readonly void Chosen(BalancerMember chosen) => chosen.LbStatus -= _totalFactor;
    }
}
