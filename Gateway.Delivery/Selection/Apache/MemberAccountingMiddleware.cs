using Gateway.Delivery.Cluster;
using Gateway.Delivery.Volunteers;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Load;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// Proxy-pipeline step around each forwarding attempt to a volunteer (inside failover, so every attempt
/// counts): keeps Apache's per-member counters (busy, bytes to and from) and puts a member in error the
/// way Apache does: on a failed connection, on a status listed in <see cref="BalancerOptions.FailOnStatus"/>,
/// and on a timeout when <see cref="BalancerOptions.FailOnTimeout"/> is set.
/// </summary>
public sealed class MemberAccountingMiddleware(RequestDelegate next, BalancerMembers members, IOptionsMonitor<BalancerOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var proxy = context.GetReverseProxyFeature();
        if (proxy.Cluster.Config.ClusterId != GatewayClusters.Volunteers
            || proxy.AvailableDestinations.Count == 0
            || members.Find(proxy.AvailableDestinations[0].DestinationId) is not { } member)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        member.BeginRequest();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            member.EndRequest(context.Request.ContentLength ?? 0, context.Response.ContentLength ?? 0);
        }

        if (IsMemberFailure(context, options.CurrentValue))
        {
            members.MarkInError(member.Id);
        }
    }

    private static bool IsMemberFailure(HttpContext context, BalancerOptions settings) =>
        context.GetForwarderErrorFeature()?.Error switch
        {
            ForwarderError.Request => true,
            ForwarderError.RequestTimedOut => settings.FailOnTimeout,
            null or ForwarderError.None => settings.FailOnStatus.Contains(context.Response.StatusCode),
            _ => false,
        };
}
