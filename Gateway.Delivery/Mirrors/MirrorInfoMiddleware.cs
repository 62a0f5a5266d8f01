using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Core.Catalog;

namespace Gateway.Delivery.Mirrors;

/// <summary>
/// Per-file information as MirrorBrain and Mirrorbits give it: <c>?sha256</c> (sha256sum line), <c>?meta4</c>
/// (Metalink 4) and <c>?mirrorlist</c> (HTML, or JSON by <c>Accept</c> or <c>&amp;format=json</c>). A request
/// without a query costs one check.
/// </summary>
public sealed class MirrorInfoMiddleware(RequestDelegate next, CatalogState catalog, HealthyHolders holders, TimeProvider time)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Request.QueryString.HasValue
            || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            || context.Features.Get<DownloadFeature>() is not { } download)
        {
            return next(context);
        }

        var query = context.Request.Query;
        var kind = query.ContainsKey("sha256") ? "sha256" : query.ContainsKey("meta4") ? "meta4" : query.ContainsKey("mirrorlist") ? "mirrorlist" : null;
        if (kind is null)
        {
            return next(context);
        }

        var entry = catalog.Current.Find(download.Path);
        if (entry is null)
        {
            return Results.Problem(statusCode: 404, title: "Not published", detail: $"/{download.Path} is not in the catalog, so there is no {kind} for it.").ExecuteAsync(context);
        }

        var name = entry.Path[(entry.Path.LastIndexOf('/') + 1)..];
        context.Response.Headers.CacheControl = "private, max-age=10";
        return kind switch
        {
            "sha256" => Results.Text($"{entry.Sha256}  {name}\n", "text/plain; charset=utf-8").ExecuteAsync(context),
            "meta4" => Results.Bytes(MetalinkWriter.Write(entry, holders.For(entry), time.GetUtcNow()), MirrorLinks.MetalinkType).ExecuteAsync(context),
            _ => WantsJson(context)
                ? Results.Text(MirrorListJson(entry, holders.For(entry)), "application/json; charset=utf-8").ExecuteAsync(context)
                : Results.Text(MirrorListHtml(entry, holders.For(entry)), "text/html; charset=utf-8").ExecuteAsync(context),
        };
    }

    private static bool WantsJson(HttpContext context) =>
        context.Request.Query["format"] == "json" || context.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase);

    private static string MirrorListJson(CatalogEntry entry, IReadOnlyList<MirrorUrl> mirrors)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("path", entry.Path);
            json.WriteNumber("size", entry.Size);
            json.WriteString("sha256", entry.Sha256);
            json.WriteStartArray("mirrors");
            foreach (var mirror in mirrors)
            {
                json.WriteStartObject();
                json.WriteString("id", mirror.Id);
                json.WriteString("url", mirror.Url);
                json.WriteNumber("priority", mirror.Priority);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string MirrorListHtml(CatalogEntry entry, IReadOnlyList<MirrorUrl> mirrors)
    {
        var html = new StringBuilder();
        var path = WebUtility.HtmlEncode(entry.Path);
        html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Mirrors of ").Append(path).Append("</title></head><body>\n")
            .Append("<h1>").Append(path).Append("</h1>\n<p>Size: ").Append(entry.Size).Append(" bytes<br>SHA-256: <code>").Append(entry.Sha256)
            .Append("</code> (<a href=\"?sha256\">sha256</a>, <a href=\"?meta4\">metalink</a>)</p>\n<table>\n<tr><th>Priority</th><th>Mirror</th><th>URL</th></tr>\n");
        foreach (var mirror in mirrors)
        {
            var url = WebUtility.HtmlEncode(mirror.Url);
            html.Append("<tr><td>").Append(mirror.Priority).Append("</td><td>").Append(WebUtility.HtmlEncode(mirror.Id))
                .Append("</td><td><a href=\"").Append(url).Append("\">").Append(url).Append("</a></td></tr>\n");
        }

        return html.Append("</table>\n</body></html>\n").ToString();
    }
}
