using System.Collections.Concurrent;
using System.Globalization;
using Gateway.Simulation.Harness;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;


namespace Gateway.Simulation.Real;

/// <summary>
/// Records which volunteer the gateway chose for each numbered experiment request (redirected or proxied),
/// as the first middleware of the experiment's gateway: in proxy mode the customer cannot see it.
/// </summary>
internal sealed class ServedByRecorder : IStartupFilter
{
    private readonly ConcurrentDictionary<int, string> _chosen = new();

    public void Clear() => _chosen.Clear();

    public string? ChosenFor(int request) => _chosen.TryGetValue(request, out var id) ? id : null;

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, following) =>
        {
            await following(context).ConfigureAwait(false);
            if (context.Request.Headers.TryGetValue(LoadGenerator.RequestHeader, out var value)
                && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var request)
                && context.Features.Get<IReverseProxyFeature>() is { } proxy
                && (proxy.ProxiedDestination ?? (proxy.AvailableDestinations.Count == 1 ? proxy.AvailableDestinations[0] : null)) is { } destination)
            {
                _chosen[request] = destination.DestinationId;
            }
        });
        next(app);
    };
}
