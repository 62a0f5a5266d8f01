using Gateway.Core.Catalog;
using Gateway.Core.Telemetry;

namespace Gateway.Delivery.Tracing;

/// <summary>
/// Proxy-pipeline step before the holders narrowing (only when tracing is on): records the catalog lookup
/// as a span and opens the selection span, which <see cref="ChoiceTracingMiddleware"/> closes with the choice.
/// </summary>
/// <remarks>Observes from outside the hot-path steps: the lookup is repeated here (one frozen-dictionary read) instead of instrumenting them.</remarks>
public sealed class SelectionTracingMiddleware(RequestDelegate next, GatewayActivities activities, CatalogState catalog)
{
    public const string LookupSpan = "gateway.catalog.lookup";
    public const string SelectionSpan = "gateway.selection";

    public Task InvokeAsync(HttpContext context) =>
        activities.Source.HasListeners() ? TracedAsync(context) : next(context);

    private async Task TracedAsync(HttpContext context)
    {
        var download = context.Features.Get<DownloadFeature>();
        if (download is not null)
        {
            using var lookup = activities.Source.StartActivity(LookupSpan);
            if (lookup is not null)
            {
                var current = catalog.Current;
                var entry = current.Find(download.Path);
                lookup.SetTag("gateway.path", download.Path);
                lookup.SetTag("gateway.catalog.version", current.Version);
                lookup.SetTag("gateway.catalog.found", entry is not null);
                if (entry is not null)
                {
                    lookup.SetTag("gateway.content_id", entry.ContentId);
                    lookup.SetTag("gateway.file.size", entry.Size);
                }
            }
        }

        // Current for the holders step and the policy; stopped by ChoiceTracingMiddleware (a second Stop here is a no-op).
        using var selection = activities.Source.StartActivity(SelectionSpan);
        await next(context).ConfigureAwait(false);
    }
}
