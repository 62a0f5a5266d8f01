using Gateway.Agent.Mirror;
using Microsoft.Net.Http.Headers;

namespace Gateway.Agent.Serving;

/// <summary>
/// Serves customers complete, verified content only: by repository path (any path whose content the agent
/// holds, under whatever name it was fetched) and by content (<c>/by-hash/sha256/{hex}</c>). Range, HEAD and
/// conditional requests are ASP.NET Core's file results; the ETag is the SHA-256, the same for every name.
/// </summary>
public sealed class MirrorFileServer(MirrorState state, ContentStore store, CustomerTransfers transfers)
{
    public const string ByHashPrefix = "/by-hash/sha256/";

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (state.Draining || !state.Healthy)
        {
            // A drain lets transfers in flight finish but takes no new customer: the gateway retries elsewhere.
            transfers.Refuse();
            context.Response.Headers.RetryAfter = "30";
            await Results.Problem(statusCode: 503, title: "Volunteer unavailable", detail: state.Draining ? "This mirror is draining." : "This mirror's BitTorrent engine is down.")
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var sha256 = Resolve(context.Request.Path.Value ?? "/");

        // One stat for the existence check, the size and the date (each used to ask the file system again).
        var file = sha256 is null || !state.Served.Contains(sha256) ? null : new FileInfo(store.ContentPath(sha256));
        if (file is not { Exists: true })
        {
            await Results.Problem(statusCode: 404, title: "Not held", detail: "This mirror holds no verified copy of that file; ask the gateway or the origin.")
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        // The whole file, even for a range: an upper bound is what the gateway's estimate of the time left needs.
        var bytes = HttpMethods.IsHead(context.Request.Method) ? 0 : file.Length;
        transfers.Begin(bytes);
        try
        {
            var result = Results.File(
                file.FullName,
                "application/octet-stream",
                lastModified: file.LastWriteTimeUtc,
                entityTag: new EntityTagHeaderValue("\"" + sha256 + "\""),
                enableRangeProcessing: true);
            await result.ExecuteAsync(context).ConfigureAwait(false);
        }
        finally
        {
            transfers.End(bytes);
        }
    }

    /// <summary>The SHA-256 a request path names: a by-hash URL, or a published path looked up in the catalog.</summary>
    private string? Resolve(string path)
    {
        if (path.StartsWith(ByHashPrefix, StringComparison.Ordinal))
        {
            var hex = path[ByHashPrefix.Length..];
            return Gateway.Core.Catalog.ManifestReader.IsLowerHexSha256(hex) ? hex : null;
        }

        return state.Catalog.Find(path.TrimStart('/'))?.Sha256;
    }
}
