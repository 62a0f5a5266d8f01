using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// Apache's <c>heartbeat</c>: a random candidate with probability proportional to the free slots
/// (<c>ready</c>) its last heartbeat announced. As in Apache, a heartbeat older than
/// <see cref="BalancerOptions.HeartbeatMaxAge"/> (10 s) takes the member out, a member reporting no busy
/// slot counts only a quarter of its ready slots (it has just started; don't flood it), and lbsets and
/// standby flags play no part. Volunteers that do not send heartbeats can be judged from tracker
/// feedback instead (<see cref="BalancerOptions.FeedbackSlots"/>). The draw is Apache's, boundary quirks included
/// (checked against a real httpd in <c>HeartbeatDifferentialTests</c>).
/// </summary>
public sealed class HeartbeatPolicy(BalancerMembers members, HeartbeatBoard board, IRandomSource random, TimeProvider time)
    : ILoadBalancingPolicy
{
    public const string PolicyName = "heartbeat";

    private Func<IReadOnlyList<BalancerMember>, BalancerMember?>? _choose;

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations) =>
        members.TryPickSticky(context, availableDestinations, out var routed) ? routed : members.PickAmongUsable(availableDestinations, _choose ??= Choose);

    private BalancerMember? Choose(IReadOnlyList<BalancerMember> usable)
    {
        var now = time.GetUtcNow();
        long slots = 0;
        // Index loops: foreach over the interface would box the list's enumerator on every pick.
        for (var i = 0; i < usable.Count; i++)
        {
            slots += Math.Max(0, ReadyOf(usable[i], now));
        }

        if (slots == 0)
        {
            return null;
        }

        // Apache's draw and scan exactly (find_best_hb): a draw in [0, slots], and each member whose
        // [seen, seen + ready] holds it takes it, the last one winning; so the boundaries go to the later
        // member and the last member has one draw more than its ready count.
        var pick = (long)random.NextIndex((int)Math.Min(slots + 1, int.MaxValue));
        long seen = 0;
        BalancerMember? chosen = null;
        for (var i = 0; i < usable.Count; i++)
        {
            var member = usable[i];
            var ready = ReadyOf(member, now);
            if (ready < 0)
            {
                continue;
            }

            if (pick >= seen && pick <= seen + ready)
            {
                chosen = member;
            }

            seen += ready;
        }

        return chosen;
    }

    /// <summary>The member's ready slots (a quarter while it reports no busy slot), or -1 without a current heartbeat.</summary>
    private int ReadyOf(BalancerMember member, DateTimeOffset now) =>
        !board.TryGetCurrent(member, now, out var beat) ? -1
        : beat.Busy == 0 ? beat.Ready / 4
        : beat.Ready;
}
