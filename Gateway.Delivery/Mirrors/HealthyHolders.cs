using Gateway.Core.Catalog;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Volunteers;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;

namespace Gateway.Delivery.Mirrors;

/// <summary>A place a file can be fetched from, as the mirror list and the metalink show it.</summary>
/// <param name="Id">Volunteer id, or "origin".</param>
/// <param name="Url">The file's full URL there.</param>
/// <param name="Priority">1 is preferred (RFC 6249 / RFC 5854); the origin comes last.</param>
public sealed record MirrorUrl(string Id, string Url, int Priority);

/// <summary>
/// The file's mirrors as customers are told (mirror list, metalink): the volunteers selection would use (YARP's
/// available destinations that <see cref="VolunteerState"/> finds usable holders), then the origin.
/// </summary>
public sealed class HealthyHolders(
    IProxyStateLookup proxyState,
    VolunteerState volunteers,
    IOptionsMonitor<OriginOptions> origin)
{
    // The origin's URL as configured and its normalized base, swapped together when the configuration changes:
    // a redirect's Link headers need it every time and should not parse a Uri for it.
    private volatile Tuple<string, string>? _originBase;

    public IReadOnlyList<MirrorUrl> For(CatalogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var result = new List<MirrorUrl>();
        if (proxyState.TryGetCluster(GatewayClusters.Volunteers, out var cluster))
        {
            var usable = volunteers.UsableHolders(entry.ContentId, cluster.DestinationsState.AvailableDestinations);
            for (var i = 0; i < usable.Count; i++)
            {
                result.Add(new MirrorUrl(usable[i].DestinationId, usable[i].Model.Config.Address + entry.EscapedPath, result.Count + 1));
            }
        }

        result.Add(new MirrorUrl(GatewayClusters.OriginDestinationId, OriginBase() + entry.EscapedPath, result.Count + 1));
        return result;
    }

    /// <summary>The origin's base URL, ending with '/'.</summary>
    public string OriginBase()
    {
        var configured = origin.CurrentValue.Url;
        var cached = _originBase;
        if (cached is null || !ReferenceEquals(cached.Item1, configured))
        {
            cached = Tuple.Create(configured, VolunteerDirectory.NormalizeBase(configured).ToString());
            _originBase = cached;
        }

        return cached.Item2;
    }
}
