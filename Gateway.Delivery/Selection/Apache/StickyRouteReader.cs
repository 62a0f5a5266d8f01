namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// Reads a request's sticky-session route as mod_proxy_balancer does (<c>find_session_route</c>): the URL
/// parameter first (<c>NAME=value</c> anywhere in the path or query, ending at '?' or '&amp;', and ';' with
/// <c>scolonpathdelim</c>), then the cookie; the route is the value's part after the first separator ('.').
/// </summary>
public static class StickyRouteReader
{
    /// <summary>The route, or null when the request carries none (no session value, or one without a separator).</summary>
    public static string? RouteOf(HttpRequest request, BalancerOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        if (options.StickySession is not { Length: > 0 } sticky)
        {
            return null;
        }

        var bar = sticky.IndexOf('|', StringComparison.Ordinal);
        var cookieName = bar < 0 ? sticky : sticky[..bar];
        var parameterName = bar < 0 ? sticky : sticky[(bar + 1)..];
        var url = request.Path.Value + request.QueryString.Value;
        var session = UrlParameter(url, parameterName, options.ScolonPathDelim) ?? Cookie(request.Headers.Cookie.ToString(), cookieName);
        if (session is null)
        {
            return null;
        }

        var separator = session.IndexOf(options.StickySessionSeparator, StringComparison.Ordinal);
        return separator < 0 || separator == session.Length - 1 ? null : session[(separator + 1)..];
    }

    // Apache's get_path_param: "NAME=" anywhere in the URL; the value runs to the next delimiter.
    private static string? UrlParameter(string url, string name, bool semicolonEnds)
    {
        ReadOnlySpan<char> delimiters = semicolonEnds ? ";?&" : "?&";
        for (var at = url.IndexOf(name, StringComparison.Ordinal); at >= 0; at = url.IndexOf(name, at + 1, StringComparison.Ordinal))
        {
            var after = at + name.Length;
            if (after + 1 < url.Length && url[after] == '=')
            {
                var value = url.AsSpan(after + 1);

                // apr_strtok skips leading delimiters before the token (and finds none when only delimiters follow).
                var start = value.IndexOfAnyExcept(delimiters);
                if (start < 0)
                {
                    return null;
                }

                value = value[start..];
                var end = value.IndexOfAny(delimiters);
                return (end < 0 ? value : value[..end]).ToString();
            }
        }

        return null;
    }

    // Apache's get_cookie_param: NAME at the start or after ';', ',' or a space, then '=' and a value to ';' or ','.
    private static string? Cookie(string cookies, string name)
    {
        for (var at = cookies.IndexOf(name, StringComparison.Ordinal); at >= 0; at = cookies.IndexOf(name, at + 1, StringComparison.Ordinal))
        {
            if (at > 0 && cookies[at - 1] is not (';' or ',') && !char.IsWhiteSpace(cookies[at - 1]))
            {
                continue;
            }

            var i = at + name.Length;
            while (i < cookies.Length && char.IsWhiteSpace(cookies[i]))
            {
                i++;
            }

            if (i + 1 < cookies.Length && cookies[i] == '=')
            {
                var value = cookies.AsSpan(i + 1);
                var end = value.IndexOfAny(';', ',');
                return (end < 0 ? value : value[..end]).ToString();
            }
        }

        return null;
    }
}
