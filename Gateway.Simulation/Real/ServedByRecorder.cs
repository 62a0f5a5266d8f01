using System.Collections.Concurrent;
using System.Globalization;
using Gateway.Delivery.Load;
using Gateway.Simulation.Harness;
using Yarp.ReverseProxy.Model;

namespace Gateway.Simulation.Real;

/// <summary>What the gateway believed about one volunteer when it picked for a request, next to what the kernel saw.</summary>
/// <param name="Reported">The fresh report's load (transfers + sync), null when there was none (unknown).</param>
/// <param name="Local">This gateway's own redirects still expected to run and transfers in flight.</param>
/// <param name="Kernel">The kernel's connections with unsent data on its link at the last 100 ms sample (customers + BitTorrent).</param>
/// <param name="ByteCounter">Its load in customer flows from byte counters (<see cref="LinkSampler.Load"/>, what the byte-counter policy reads).</param>
internal readonly record struct Belief(double? Reported, double Local, double Kernel, double ByteCounter);

/// <summary>
/// Records which volunteer the gateway chose for each numbered experiment request (redirected or proxied),
/// as the first middleware of the experiment's gateway: in proxy mode the customer cannot see it. It also
/// records, just before the pick, the feedback policy's estimate of every volunteer and the kernel's flow
/// counts and the byte-counter policy's load, so a slow request can be traced to what the gateway believed (stale report, herding,
/// sync weight). The choice is known as soon as the answer starts (so the customers can attribute a proxied body while it
/// flows), and again when it is done (a retry may have moved it).
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

            if (numbered)
            {
                context.Response.OnStarting(() =>
                {
                    if (Destination(context) is { } chosen)
                    {
                        _chosen[request] = chosen.DestinationId;
                    }

                    return Task.CompletedTask;
                });
            }

            await following(context).ConfigureAwait(false);
            if (numbered && Destination(context) is { } destination)
            {
                _chosen[request] = destination.DestinationId;
            }
        });
        next(app);
    };

    private static DestinationState? Destination(HttpContext context) =>
        context.Features.Get<IReverseProxyFeature>() is { } proxy
            ? proxy.ProxiedDestination ?? (proxy.AvailableDestinations.Count == 1 ? proxy.AvailableDestinations[0] : null)
            : null;

    private Belief[] Snapshot(LoadEstimator estimator)
    {
        var beliefs = new Belief[ids.Count];
        for (var i = 0; i < beliefs.Length; i++)
        {
            var reported = estimator.ReportedLoad(ids[i], out var at);
            beliefs[i] = new Belief(reported, estimator.LocalLoad(ids[i], at), sampler.KernelFlows(ids[i]), sampler.Load(ids[i]));
        }

        return beliefs;
    }
}
