using System.Net.Mime;

namespace Gateway.Delivery;

/// <summary>
/// The answers httpd's mod_proxy gives itself when no member answered (its status, its status line's reason and a
/// body in the shape of its error page), for <see cref="ErrorSemantics.Apache"/> and for a gateway without an origin.
/// </summary>
public static class ApacheAnswers
{
    /// <summary>No member is usable (mod_proxy_balancer's pre_request), or every connection failed: 503.</summary>
    public static Task NoUsableMember(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service Unavailable",
            "The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later.");

    /// <summary>The member's connection closed, or stayed silent past the timeout, before its status line: 502 (mod_proxy_http).</summary>
    public static Task NoAnswer(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status502BadGateway, "Proxy Error",
            "The proxy server received an invalid response from an upstream server. Reason: Error reading from remote server");

    private static Task WriteAsync(HttpContext context, int status, string title, string text)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = MediaTypeNames.Text.Html + "; charset=iso-8859-1";
        return context.Response.WriteAsync(
            $"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>{status} {title}</title>\n</head><body>\n<h1>{title}</h1>\n<p>{text}</p>\n</body></html>\n",
            context.RequestAborted);
    }
}
