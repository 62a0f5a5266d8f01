using System.Collections.Concurrent;
using System.Globalization;
using Gateway.Selection;
using Gateway.Simulation.Harness;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Model;


namespace Gateway.Simulation.Real;

/// <summary>What the gateway believed about one volunteer when it picked for a request, next to what the kernel saw.</summary>
/// <param name="Reported">The fresh report's load (transfers + sync), null when there was none (unknown).</param>
/// <param name="Local">This gateway's own redirects still expected to run and transfers in flight.</param>
/// <param name="Kernel">Flows with unsent data on its link at the last 100 ms sample (the oracle's view).</param>
internal readonly record struct Belief(double? Reported, double Local, double Kernel);

/// <summary>
/// Records which volunteer the gateway chose for each numbered experiment request (redirected or proxied),
/// as the first middleware of the experiment's gateway: in proxy mode the customer cannot see it. It also
/// records, just before the pick, the feedback policy's estimate of every volunteer and the kernel's flow
/// counts, so a slow request can be traced to what the gateway believed (stale report, herding, sync weight).
/// </summary>
internal sealed class ServedByRecorder(LinkSampler sampler, IReadOnlyList<string> ids) : IStartupFilter
{
    private readonly ConcurrentDictionary<int, string> _chosen = new();
    private readonly ConcurrentDictionary<int, Belief[]> _beliefs = new();

    public IReadOnlyList<string> Ids => ids;

    public void Clear()
    {
        _chosen.Clear();
        _beliefs.Clear();
    }

    public string? ChosenFor(int request) => _chosen.TryGetValue(request, out var id) ? id : null;

    /// <summary>Every volunteer's belief at the pick for <paramref name="request"/> (in <see cref="Ids"/> order), or null.</summary>
    public IReadOnlyList<Belief>? BeliefsFor(int request) => _beliefs.TryGetValue(request, out var b) ? b : null;

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, following) =>
        {
            var numbered = context.Request.Headers.TryGetValue(LoadGenerator.RequestHeader, out var value)
                && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _);
            var request = numbered ? int.Parse(value!, NumberStyles.None, CultureInfo.InvariantCulture) : -1;
            if (numbered && context.RequestServices.GetService<LoadEstimator>() is { } estimator)
            {
                _beliefs[request] = Snapshot(estimator);
            }

            await following(context).ConfigureAwait(false);
            if (numbered
                && context.Features.Get<IReverseProxyFeature>() is { } proxy
                && (proxy.ProxiedDestination ?? (proxy.AvailableDestinations.Count == 1 ? proxy.AvailableDestinations[0] : null)) is { } destination)
            {
                _chosen[request] = destination.DestinationId;
            }
        });
        next(app);
    };

    private Belief[] Snapshot(LoadEstimator estimator)
    {
        var beliefs = new Belief[ids.Count];
        for (var i = 0; i < beliefs.Length; i++)
        {
            var reported = estimator.ReportedLoad(ids[i], out var at);
            beliefs[i] = new Belief(reported, estimator.LocalLoad(ids[i], at), sampler.Load(ids[i]));
        }

        return beliefs;
    }
}
