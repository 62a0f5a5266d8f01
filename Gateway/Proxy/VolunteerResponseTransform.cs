using Gateway.RequestPaths;
using Gateway.Volunteers;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Proxy;

/// <summary>
/// Response transform on proxied downloads: holds back a volunteer's 5xx body while another attempt is
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
        if (fromVolunteer && download.CanRetry && status >= 500)
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
