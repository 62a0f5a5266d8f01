using Gateway.Core.Paths;
using Gateway.Delivery.Metrics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.RequestPaths;

/// <summary>
/// Refuses hostile or malformed paths with a 400 problem-details body before anything is fetched, and gives the
/// request its repository path (below <c>Gateway:PathBase</c>); a path outside the path base gets none, so only
/// the gateway's own endpoints answer it.
/// </summary>
public sealed partial class PathGuardMiddleware(RequestDelegate next, IOptionsMonitor<GatewayOptions> options, GatewayMetrics metrics, ILogger<PathGuardMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (!RequestPathNormalizer.TryNormalize(raw, options.CurrentValue.MaxPathBytes, out var path, out var error))
        {
            LogRejected(logger, error);
            metrics.RecordRequest(context, RequestOutcome.Rejected, null);
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request path", detail: error).ExecuteAsync(context);
        }

        if (options.CurrentValue.RepositoryPathOf(path) is { } relative)
        {
            context.Features.Set(new DownloadFeature(relative));
        }

        return next(context);
    }

    // Debug: one line per request is the access log's job, and it shows these 400s; a scanner would flood the log.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Rejected a request path: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason);
}
