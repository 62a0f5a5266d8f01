using System.Globalization;
using Gateway.Simulation.Harness;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Simulation.Real;

/// <summary>
/// The experiment's comparison policy, registered only in its gateway: the holder with the least load on its link right
/// now in customer flows read from byte counters (<see cref="LinkSampler.Load"/>: customer transfers in flight and picks
/// not yet begun, as the customers count them, plus its BitTorrent bytes as flows), lower upload rate on ties. No
/// deployable gateway can read these counters, yet it is not a bound: the feedback policy beat its p99 in several runs
/// (docs/evaluation.md), so it is named for what it reads, not called an oracle.
/// </summary>
internal sealed class ByteCounterPolicy(LinkSampler sampler, CustomerMeter customers) : ILoadBalancingPolicy
{
    public const string PolicyName = "ByteCounter";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        ArgumentNullException.ThrowIfNull(availableDestinations);
        DestinationState? best = null;
        (double Load, double Rate) bestKey = (double.PositiveInfinity, double.PositiveInfinity);
        foreach (var destination in availableDestinations)
        {
            var key = (sampler.Load(destination.DestinationId), sampler.Rate(destination.DestinationId));
            if (key.CompareTo(bestKey) < 0)
            {
                best = destination;
                bestKey = key;
            }
        }

        if (best is not null
            && context?.Request.Headers[LoadGenerator.RequestHeader].ToString() is { Length: > 0 } header
            && int.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var request))
        {
            // Counted as load until the customer's transfer begins (it follows the redirect, or the proxied answer starts).
            customers.Expect(request, best.DestinationId);
        }

        return best;
    }
}
