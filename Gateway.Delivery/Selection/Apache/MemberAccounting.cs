using Gateway.Delivery.Proxy;
using Gateway.Delivery.Proxy.Attempts;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// Apache's per-member bookkeeping around each proxy attempt on a volunteer (called by <see cref="AttemptLoop"/>,
/// so every attempt counts, verified or not): the busy count and the bytes to and from it, and putting it in error the way Apache does: on a failed connection, on a status listed in
/// <see cref="BalancerOptions.FailOnStatus"/>, and on a timeout when <see cref="BalancerOptions.FailOnTimeout"/> is set.
/// </summary>
public sealed class MemberAccounting(BalancerMembers members, IOptionsMonitor<BalancerOptions> options)
{
    /// <summary>Counts an attempt on <paramref name="volunteerId"/> as begun; null when it is no balancer member.</summary>
    public BalancerMember? Begin(string volunteerId)
    {
        var member = members.Find(volunteerId);
        member?.BeginRequest();
        return member;
    }

    /// <summary>Counts the attempt as ended with its bytes, and puts the member in error when the attempt is one Apache fails it for.</summary>
    public void End(BalancerMember? member, long bytesToMember, in AttemptResult result)
    {
        if (member is null)
        {
            return;
        }

        member.EndRequest(bytesToMember, result.BytesSent);
        if (IsMemberFailure(result, options.CurrentValue))
        {
            members.MarkInError(member.Id);
        }
    }

    private static bool IsMemberFailure(in AttemptResult result, BalancerOptions settings) => result.Failure switch
    {
        AttemptFailure.Unreachable => true,
        AttemptFailure.TimedOut => settings.FailOnTimeout,
        _ => result.Answered && settings.FailOnStatus.Contains(result.Status),
    };
}
