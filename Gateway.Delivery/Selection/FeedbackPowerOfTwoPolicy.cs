using Gateway.Delivery.Availability;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Selection;

/// <summary>
/// The default policy: the least estimated load per unit of weight (reported feedback plus this gateway's own
/// dispatches, as <see cref="VolunteerState"/> tells them) among <see cref="SelectionOptions.Candidates"/> random holders, all of them when there are
/// no more. Random candidates, not the global minimum over thousands, because feedback is stale between
/// announces; more than two, because with few holders of which some sync, two are both busy too often, and
/// because a new package's newest holders are empty while its first ones are swamped, and few draws miss them.
/// The name stays (configurations name it); with <c>Candidates = 2</c> it is the power of two choices.
/// </summary>
public sealed class FeedbackPowerOfTwoPolicy(VolunteerState volunteers, IRandomSource random, IOptionsMonitor<SelectionOptions> options) : ILoadBalancingPolicy
{
    public const string PolicyName = SelectionOptions.DefaultPolicy;

    private const int MostCandidates = 64;

    // Loads this close are equal: they are sums of counts and of fractional sync shares.
    private const double TieTolerance = 1e-9;

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        ArgumentNullException.ThrowIfNull(availableDestinations);
        var count = availableDestinations.Count;
        if (count <= 1)
        {
            return count == 0 ? null : availableDestinations[0];
        }

        var d = Math.Clamp(options.CurrentValue.Candidates, 2, MostCandidates);
        d = Math.Min(d, count);
        Span<int> drawn = stackalloc int[d];
        Draw(drawn, count);

        Span<double> reported = stackalloc double[d];
        Span<bool> known = stackalloc bool[d];
        Span<long> reportedAt = stackalloc long[d];
        var leastKnown = double.PositiveInfinity;
        for (var i = 0; i < d; i++)
        {
            var load = volunteers.ReportedLoad(availableDestinations[drawn[i]].DestinationId, out var at);
            known[i] = load.HasValue;
            reported[i] = load ?? 0;
            reportedAt[i] = at.UtcTicks;
            if (load is { } value && value < leastKnown)
            {
                leastKnown = value;
            }
        }

        // A candidate without fresh feedback is assumed as loaded as the least loaded one that reports, so it is
        // judged by what this gateway sent it instead of winning by silence.
        var fallback = double.IsPositiveInfinity(leastKnown) ? 0 : leastKnown;
        var tieBreak = options.CurrentValue.TieBreakOnBytesLeft;
        var best = -1;
        var bestLoad = double.PositiveInfinity;
        var bestBytes = double.NaN;
        for (var i = 0; i < d; i++)
        {
            var destination = availableDestinations[drawn[i]];
            var at = new DateTimeOffset(reportedAt[i], TimeSpan.Zero);
            var weight = Math.Max(1, WeightOf(destination));
            var load = ((known[i] ? reported[i] : fallback) + volunteers.LocalLoad(destination.DestinationId, at)) / weight;
            if (load < bestLoad - TieTolerance)
            {
                best = i;
                bestLoad = load;
                bestBytes = double.NaN;
            }
            else if (tieBreak && known[i] && known[best] && load <= bestLoad + TieTolerance)
            {
                // Bytes left are looked up only for ties, which are common: loads are counts of transfers. Only
                // between reporting candidates: a silent one has no bytes reported and would win by silence.
                if (double.IsNaN(bestBytes))
                {
                    var bestDestination = availableDestinations[drawn[best]];
                    bestBytes = volunteers.BytesLeft(bestDestination.DestinationId, new DateTimeOffset(reportedAt[best], TimeSpan.Zero)) / Math.Max(1, WeightOf(bestDestination));
                }

                var bytes = volunteers.BytesLeft(destination.DestinationId, at) / weight;
                if (bytes < bestBytes)
                {
                    best = i;
                    bestLoad = load;
                    bestBytes = bytes;
                }
            }
        }

        return availableDestinations[drawn[best]];
    }

    /// <summary>d distinct indexes in random order: every index from a random start when d is all of them.</summary>
    private void Draw(Span<int> drawn, int count)
    {
        if (drawn.Length == count)
        {
            var start = random.NextIndex(count);
            for (var i = 0; i < count; i++)
            {
                drawn[i] = (start + i) % count;
            }

            return;
        }

        for (var i = 0; i < drawn.Length;)
        {
            var index = random.NextIndex(count);
            if (!drawn[..i].Contains(index))
            {
                drawn[i++] = index;
            }
        }
    }

    private int WeightOf(DestinationState destination) => volunteers.WeightOf(destination.DestinationId);
}
