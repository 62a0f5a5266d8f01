using Gateway.Delivery.Health;
using Gateway.Delivery.Volunteers;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Delivery.Cluster;

/// <summary>YARP's config source: routes and clusters built from appsettings, rebuilt when they change (weights, volunteers, health) without a restart.</summary>
public sealed class GatewayProxyConfigProvider : IProxyConfigProvider, IDisposable
{
    private readonly IOptionsMonitor<GatewayOptions> _gateway;
    private readonly IOptionsMonitor<VolunteerSetOptions> _volunteers;
    private readonly IOptionsMonitor<OriginOptions> _origin;
    private readonly IOptionsMonitor<HealthOptions> _health;
    private readonly IOptionsMonitor<ProxyOptions> _proxy;
    private readonly IOptionsMonitor<SelectionOptions> _selection;
    private readonly List<IDisposable?> _subscriptions = [];
    private readonly Lock _gate = new();
    private Snapshot? _current;

    public GatewayProxyConfigProvider(
        IOptionsMonitor<GatewayOptions> gateway,
        IOptionsMonitor<VolunteerSetOptions> volunteers,
        IOptionsMonitor<OriginOptions> origin,
        IOptionsMonitor<HealthOptions> health,
        IOptionsMonitor<ProxyOptions> proxy,
        IOptionsMonitor<SelectionOptions> selection)
    {
        _gateway = gateway;
        _volunteers = volunteers;
        _origin = origin;
        _health = health;
        _proxy = proxy;
        _selection = selection;
        _subscriptions.Add(gateway.OnChange(_ => Changed()));
        _subscriptions.Add(volunteers.OnChange(_ => Changed()));
        _subscriptions.Add(origin.OnChange(_ => Changed()));
        _subscriptions.Add(health.OnChange(_ => Changed()));
        _subscriptions.Add(proxy.OnChange(_ => Changed()));
        _subscriptions.Add(selection.OnChange(_ => Changed()));
    }

    public IProxyConfig GetConfig()
    {
        lock (_gate)
        {
            return _current ??= Build();
        }
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription?.Dispose();
        }
    }

    private void Changed()
    {
        Snapshot? old;
        lock (_gate)
        {
            old = _current;
            _current = Build();
        }

        old?.SignalChange();
    }

    private Snapshot Build() => new(
        ProxyConfigFactory.BuildRoutes(_gateway.CurrentValue),
        ProxyConfigFactory.BuildClusters(_volunteers.CurrentValue, _origin.CurrentValue, _health.CurrentValue, _proxy.CurrentValue, _selection.CurrentValue));

    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig, IDisposable
    {
        private readonly CancellationTokenSource _changed = new();

        public IReadOnlyList<RouteConfig> Routes { get; } = routes;

        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;

        public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

        public void SignalChange() => _changed.Cancel();

        public void Dispose() => _changed.Dispose();
    }
}
