namespace Gateway.Core.Content;

/// <summary>RFC 6249 <c>rel=duplicate</c> links: the alternates a redirect names, read by the verifying client proxy.</summary>
public static class DuplicateLinks
{
    /// <summary>Reads the <c>rel=duplicate</c> URLs of Link header values, lowest <c>pri</c> first (for the verifying client proxy).</summary>
    public static IReadOnlyList<Uri> Parse(IEnumerable<string> linkValues)
    {
        ArgumentNullException.ThrowIfNull(linkValues);
        var found = new List<(int Priority, Uri Url)>();
        foreach (var value in linkValues)
        {
            foreach (var link in value.Split(','))
            {
                var parts = link.Split(';', StringSplitOptions.TrimEntries);
                if (parts.Length < 2 || !parts[0].StartsWith('<') || !parts[0].EndsWith('>') || !parts.Contains("rel=duplicate", StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                var pri = parts.FirstOrDefault(p => p.StartsWith("pri=", StringComparison.OrdinalIgnoreCase));
                var priority = pri is not null && int.TryParse(pri.AsSpan(4), out var p) ? p : 999_999;
                if (Uri.TryCreate(parts[0][1..^1], UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
                {
                    found.Add((priority, url));
                }
            }
        }

        return [.. found.OrderBy(f => f.Priority).Select(f => f.Url)];
    }
}
