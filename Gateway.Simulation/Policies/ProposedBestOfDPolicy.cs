using Gateway.Selection;
using Gateway.Volunteers;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Simulation.Policies;

/// <summary>
/// NOT the gateway's policy: a proposed change to it, measured here before anyone edits Gateway/Selection.
/// The same <see cref="LoadEstimator"/> comparison as <see cref="FeedbackPowerOfTwoPolicy"/>, but over
/// <c>d</c> distinct random candidates (all of them when d ≥ count) instead of two: with few holders of
/// which half are busy syncing, two random candidates are both busy too often (3 in 14 with 4 of 8).
/// </summary>
internal sealed class ProposedBestOfDPolicy(LoadEstimator estimator, VolunteerDirectory directory, IRandomSource random, int d) : ILoadBalancingPolicy
{
    private readonly List<int> _drawn = [];

    public string Name => $"FeedbackBestOf{d}";

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        ArgumentNullException.ThrowIfNull(availableDestinations);
        var count = availableDestinations.Count;
        if (count <= 1)
        {
            return count == 0 ? null : availableDestinations[0];
        }

        DestinationState? best = null;
        if (d >= count)
        {
            // Every candidate, from a random start so ties do not always go to the first.
            var start = random.NextIndex(count);
            for (var i = 0; i < count; i++)
            {
                best = Better(best, availableDestinations[(start + i) % count]);
            }

            return best;
        }

        _drawn.Clear();
        while (_drawn.Count < d)
        {
            var index = random.NextIndex(count);
            if (!_drawn.Contains(index))
            {
                _drawn.Add(index);
                best = Better(best, availableDestinations[index]);
            }
        }

        return best;
    }

    private DestinationState Better(DestinationState? best, DestinationState candidate) =>
        best is null || estimator.Compare(candidate.DestinationId, WeightOf(candidate), best.DestinationId, WeightOf(best)) < 0 ? candidate : best;

    private int WeightOf(DestinationState destination) => directory.Find(destination.DestinationId)?.Weight ?? 1;
}
