using Yarp.ReverseProxy.Transforms;

namespace Gateway.Delivery.Proxy;

/// <summary>
/// Response transform on proxied downloads: holds back a volunteer's 5xx (or 404 for a file it should hold) body while another attempt is
/// possible (so the customer never sees it), and adds <c>Repr-Digest</c> for published files.
/// </summary>
public static class VolunteerResponseTransform
{
    public static ValueTask ApplyAsync(ResponseTransformContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var download = context.HttpContext.Features.Get<DownloadFeature>();
        if (download is null || context.ProxyResponse is null)
        {
            return ValueTask.CompletedTask;
        }

        var status = (int)context.ProxyResponse.StatusCode;
        var fromVolunteer = context.HttpContext.GetReverseProxyFeature().Cluster.Config.ClusterId == GatewayClusters.Volunteers;
        // A holder that answers 404/410 for a file the store says it holds is as broken as one that answers 5xx.
        if (fromVolunteer && download.CanRetry && (status >= 500 || status is 404 or 410))
        {
            download.VolunteerFailed = true;
            context.SuppressResponseBody = true;
            return ValueTask.CompletedTask;
        }

        if (download.Entry is { } entry && status is 200 or 206)
        {
            context.HttpContext.Response.Headers["Repr-Digest"] = entry.ReprDigest;
        }

        return ValueTask.CompletedTask;
    }
}
