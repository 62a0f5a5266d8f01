using Gateway.Delivery.Proxy;
using Gateway.Delivery.Proxy.Attempts;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// Apache's per-member bookkeeping around each proxy attempt on a volunteer (called by <see cref="AttemptLoop"/>,
/// so every attempt counts, verified or not): the busy count and the bytes to and from it, and putting it in error the way Apache does: on a failed connection, on a status listed in
/// <see cref="BalancerOptions.FailOnStatus"/>, and on a timeout when <see cref="BalancerOptions.FailOnTimeout"/> is set.
/// </summary>
public sealed class MemberAccounting(BalancerMembers members, IOptionsMonitor<BalancerOptions> options, IOptionsMonitor<ProxyOptions> proxy)
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
        if (IsMemberFailure(result, options.CurrentValue, proxy.CurrentValue.ErrorSemantics))
        {
            members.MarkInError(member.Id);
        }
    }

    // httpd: a failed connect puts the worker in error (proxy_util.c, ap_proxy_connect_backend); a connection that
    // closes before the status line gives 502 and leaves it in service (mod_proxy_http.c, "Error reading from remote
    // server"), as do timeouts unless failontimeout; failonstatus is read after the answer (mod_proxy_balancer.c,
    // proxy_balancer_post_request, which also sees the 502 httpd answered itself: mod_proxy.c sets r->status to it
    // first). Under Failover semantics a closed connection counts as a failed connect.
    private static bool IsMemberFailure(in AttemptResult result, BalancerOptions settings, ErrorSemantics semantics) => result.Failure switch
    {
        AttemptFailure.Unreachable => true,
        AttemptFailure.NoAnswer => semantics == ErrorSemantics.Failover || settings.FailOnStatus.Contains(StatusCodes.Status502BadGateway),
        AttemptFailure.TimedOut => settings.FailOnTimeout || (semantics == ErrorSemantics.Apache && settings.FailOnStatus.Contains(StatusCodes.Status502BadGateway)),
        _ => result.Answered && settings.FailOnStatus.Contains(result.Status),
    };
}
