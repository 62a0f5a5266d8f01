using Gateway.Core.Catalog;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Mirrors;

/// <summary>
/// RFC 6249 <c>Link</c> headers on a redirect, as MirrorBrain sends them: the other holders and the origin as
/// <c>rel=duplicate</c> alternates (a verifying client tries them when the chosen volunteer's bytes do not match
/// <c>Repr-Digest</c>), and the metalink as <c>rel=describedby</c>.
/// </summary>
public sealed class MirrorLinks(IOptionsMonitor<VerifyOptions> options, IOptionsMonitor<GatewayOptions> gateway, HealthyHolders holders)
{
    public const string MetalinkType = "application/metalink4+xml";

    public void AddTo(IHeaderDictionary headers, CatalogEntry entry, DestinationState chosen, IReadOnlyList<DestinationState>? candidates)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(chosen);
        if (!options.CurrentValue.LinkHeaders)
        {
            return;
        }

        var count = candidates?.Count ?? 0;
        var links = new string[count + 2];
        var n = 0;
        for (var i = 0; i < count; i++)
        {
            var candidate = candidates![i];
            if (!ReferenceEquals(candidate, chosen))
            {
                links[n] = Duplicate(candidate.Model.Config.Address, entry, n + 1);
                n++;
            }
        }

        links[n] = Duplicate(holders.OriginBase(), entry, n + 1);
        links[n + 1] = $"<{gateway.CurrentValue.NormalizedPathBase}/{entry.EscapedPath}?meta4>; rel=describedby; type=\"{MetalinkType}\"";
        headers.Link = new StringValues(n + 2 == links.Length ? links : links[..(n + 2)]);
    }

    private static string Duplicate(string baseUrl, CatalogEntry entry, int priority) =>
        string.Concat("<", baseUrl, entry.EscapedPath, ">; rel=duplicate; pri=", priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
