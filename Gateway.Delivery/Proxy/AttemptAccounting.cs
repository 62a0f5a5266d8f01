using Gateway.Delivery.Health;
using Gateway.Delivery.Load;
using Gateway.Delivery.Proxy.Attempts;
using Gateway.Delivery.Selection.Apache;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Proxy;

/// <summary>
/// What each attempt on a volunteer counts, plain or verified: the transfer in flight for the load estimate
/// (<see cref="DispatchLedger"/>), Apache's member counters and error state (<see cref="MemberAccounting"/>), and
/// YARP's passive health (<see cref="PassiveHealthReporter"/>), each told once per attempt; and the request's own
/// record of its attempts (<see cref="DownloadFeature.RecordAttempt"/>), which the access log writes.
/// </summary>
public sealed class AttemptAccounting(DispatchLedger ledger, MemberAccounting members, PassiveHealthReporter passiveHealth)
{
    /// <summary>Counts an attempt on <paramref name="volunteer"/> as begun.</summary>
    public AttemptTicket Begin(DestinationState volunteer)
    {
        ArgumentNullException.ThrowIfNull(volunteer);
        var begunAt = ledger.BeginTransfer(volunteer.DestinationId);
        return new AttemptTicket(volunteer, members.Begin(volunteer.DestinationId), begunAt);
    }

    /// <summary>Counts the attempt as ended, with how it went.</summary>
    public void End(HttpContext context, in AttemptTicket ticket, in AttemptResult result)
    {
        ArgumentNullException.ThrowIfNull(context);
        ledger.EndTransfer(ticket.Volunteer.DestinationId, ticket.BegunAt);
        members.End(ticket.Member, context.Request.ContentLength ?? 0, result);
        passiveHealth.Report(context, ticket.Volunteer, result.IsTransportFailure);
        context.Features.Get<DownloadFeature>()?.RecordAttempt(ticket.Volunteer.DestinationId, FailureName(result.Failure), result.BytesSent);
    }

    /// <summary>How an attempt's failure reads in the access log; null when it served.</summary>
    private static string? FailureName(AttemptFailure failure) => failure switch
    {
        AttemptFailure.None => null,
        AttemptFailure.Status => "status",
        AttemptFailure.Unreachable => "unreachable",
        AttemptFailure.TimedOut => "timeout",
        AttemptFailure.Broken => "broken",
        AttemptFailure.Altered => "altered",
        AttemptFailure.ClientGone => "client-gone",
        _ => "other",
    };
}

/// <summary>An attempt in flight: the volunteer, its Apache member when it is one (its own timeout applies), and when it began (for the ledger).</summary>
public readonly record struct AttemptTicket(DestinationState Volunteer, BalancerMember? Member, DateTimeOffset BegunAt);
