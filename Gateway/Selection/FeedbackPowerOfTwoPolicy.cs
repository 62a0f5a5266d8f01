using Gateway.Volunteers;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Selection;

/// <summary>
/// The default policy: the better of two random candidates by estimated load per unit of weight
/// (reported feedback plus this gateway's own dispatches). Two random choices, not the global minimum,
/// because feedback is stale between announces and the minimum would draw every request at once.
/// </summary>
public sealed class FeedbackPowerOfTwoPolicy(LoadEstimator estimator, VolunteerDirectory directory, IRandomSource random) : ILoadBalancingPolicy
{
    public const string PolicyName = "FeedbackPowerOfTwo";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        ArgumentNullException.ThrowIfNull(availableDestinations);
        var count = availableDestinations.Count;
        if (count <= 1)
        {
            return count == 0 ? null : availableDestinations[0];
        }

        var first = random.NextIndex(count);
        var second = random.NextIndex(count - 1);
        if (second >= first)
        {
            second++;
        }

        var a = availableDestinations[first];
        var b = availableDestinations[second];
        var order = estimator.Compare(a.DestinationId, WeightOf(a), b.DestinationId, WeightOf(b));
        return order <= 0 ? a : b;
    }

    private int WeightOf(DestinationState destination) => directory.Find(destination.DestinationId)?.Weight ?? 1;
}
