using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Gateway.Core.Catalog;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Releases;

/// <summary>
/// Releases pushed, not polled: <c>GET /_gateway/releases</c> is a Server-Sent Events stream with one
/// <c>catalog</c> event (data: the catalog's version) when it opens and one at every new catalog, and
/// <c>POST /_gateway/releases</c> (what <c>publish --notify</c> sends) makes the gateway check its catalog source
/// now instead of at its next <c>Catalog:ReloadInterval</c>. Volunteer agents hold the stream open
/// (<c>Volunteer:ReleaseFeedUrl</c>) and fetch the manifest as soon as an event names a version they do not have.
/// </summary>
public static class ReleaseFeedEndpoints
{
    public const string Path = "/_gateway/releases";

    /// <summary>The event that names a catalog version; <see cref="KeepAliveEvent"/> keeps idle connections through proxies.</summary>
    public const string CatalogEvent = "catalog";

    public const string KeepAliveEvent = "keepalive";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(Path, (CatalogState catalog, IOptionsMonitor<GatewayOptions> options, HttpContext context) =>
            TypedResults.ServerSentEvents(EventsAsync(catalog, options.CurrentValue.ReleaseFeedKeepAlive, context.RequestAborted)));

        // No credential: it only makes the gateway look at the source it is configured with (a conditional GET or a
        // file's timestamp), and any number of calls during a check cost one more check.
        app.MapPost(Path, IResult ([FromServices] CatalogReloadService? reload) =>
        {
            if (reload is null)
            {
                return TypedResults.Problem(statusCode: 404, title: "No catalog", detail: "This gateway has no Catalog:Source to reload.");
            }

            reload.RequestReload();
            return TypedResults.Accepted(Path);
        });
    }

    private static async IAsyncEnumerable<SseItem<string>> EventsAsync(CatalogState catalog, TimeSpan keepAlive, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            // Taken before the version is read, so a swap in between is never missed.
            var next = catalog.NextChange;
            if (catalog.IsLoaded)
            {
                yield return new SseItem<string>(catalog.Current.Version, CatalogEvent);
            }

            while (!next.IsCompleted)
            {
                try
                {
                    await next.WaitAsync(keepAlive, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }

                if (!next.IsCompleted)
                {
                    yield return new SseItem<string>(string.Empty, KeepAliveEvent);
                }
            }
        }
    }
}
