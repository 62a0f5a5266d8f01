using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Selection.Apache;

/// <summary>
/// Apache's <c>heartbeat</c>: a random candidate with probability proportional to the free slots
/// (<c>ready</c>) its last heartbeat announced. As in Apache, a heartbeat older than
/// <see cref="BalancerOptions.HeartbeatMaxAge"/> (10 s) takes the member out, a member reporting no busy
/// slot counts only a quarter of its ready slots (it has just started; don't flood it), and lbsets and
/// standby flags play no part. Volunteers that do not send heartbeats can be judged from tracker
/// feedback instead (<see cref="BalancerOptions.FeedbackSlots"/>). One deliberate difference: Apache draws in [0, slots] and a draw of 0
/// picks nobody (a 503); we draw in [1, slots] so every draw lands on a member, with the same proportions.
/// </summary>
public sealed class HeartbeatPolicy(BalancerMembers members, HeartbeatBoard board, IRandomSource random, TimeProvider time)
    : ILoadBalancingPolicy
{
    public const string PolicyName = "heartbeat";

    private Func<IReadOnlyList<BalancerMember>, BalancerMember?>? _choose;

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations) =>
        members.PickAmongUsable(availableDestinations, _choose ??= Choose);

    private BalancerMember? Choose(IReadOnlyList<BalancerMember> usable)
    {
        var now = time.GetUtcNow();
        long slots = 0;
        // Index loops: foreach over the interface would box the list's enumerator on every pick.
        for (var i = 0; i < usable.Count; i++)
        {
            slots += ReadyOf(usable[i], now);
        }

        if (slots == 0)
        {
            return null;
        }

        var pick = (long)random.NextIndex((int)Math.Min(slots, int.MaxValue)) + 1;
        long seen = 0;
        for (var i = 0; i < usable.Count; i++)
        {
            var member = usable[i];
            var ready = ReadyOf(member, now);
            if (pick > seen && pick <= seen + ready)
            {
                return member;
            }

            seen += ready;
        }

        return null;
    }

    private int ReadyOf(BalancerMember member, DateTimeOffset now) =>
        !board.TryGetCurrent(member, now, out var beat) ? 0
        : beat.Busy == 0 ? beat.Ready / 4
        : beat.Ready;
}
