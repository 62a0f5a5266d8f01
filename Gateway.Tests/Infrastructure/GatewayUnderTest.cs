using Gateway.Core.Catalog;
using Gateway.Delivery;
using Gateway.Demo;
using Gateway.Hosting;
using Gateway.State;
using Gateway.State.Views;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real gateway on a loopback port in front of a real origin and real volunteers (Kestrel), built from
/// the same <see cref="GatewayHost"/> as the executable, with a test's extra settings.
/// </summary>
public sealed class GatewayUnderTest : IAsyncDisposable
{
    private GatewayUnderTest(WebApplication app, StaticFileServer origin, ResponseMeter originMeter, IReadOnlyList<TestVolunteer> volunteers)
    {
        App = app;
        Origin = origin;
        OriginMeter = originMeter;
        Volunteers = volunteers;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = address.TrimEnd('/');
        Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(Url) };
    }

    public WebApplication App { get; }

    public StaticFileServer Origin { get; }

    /// <summary>Counts what the origin served: requests and body bytes.</summary>
    public ResponseMeter OriginMeter { get; }

    public IReadOnlyList<TestVolunteer> Volunteers { get; }

    /// <summary>The gateway's base URL without a trailing slash.</summary>
    public string Url { get; }

    /// <summary>A client that does not follow redirects, so a test sees the gateway's own answer.</summary>
    public HttpClient Client { get; }

    public IHoldingsStore Store => App.Services.GetRequiredService<IHoldingsStore>();

    public TestVolunteer this[string id] => Volunteers.Single(v => v.Id == id);

    /// <summary>Starts the gateway. Each volunteer's inventory is what its folder holds, read from the manifest at start.</summary>
    public static Task<GatewayUnderTest> StartAsync(TestRepository repository, IReadOnlyList<TestVolunteer> volunteers, params string[] settings) =>
        StartAsync(repository, volunteers, configure: null, settings);

    /// <summary>As above, with services a test registers before the gateway's own (e.g. its own store or an in-memory trace exporter).</summary>
    public static async Task<GatewayUnderTest> StartAsync(TestRepository repository, IReadOnlyList<TestVolunteer> volunteers, Action<WebApplicationBuilder>? configure, params string[] settings)
    {
        var originMeter = new ResponseMeter();
        var origin = await StaticFileServer.StartAsync(repository.Folder, 0, CancellationToken.None, originMeter);
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            $"--Catalog:Source={repository.ManifestPath}",
            "--Catalog:ReloadInterval=00:00:00.2",
            $"--Origin:Url={origin.BaseUrl}",
            "--Health:Path=/healthz",

            // Probes are off unless a test is about health: on two busy cores a probe timing out would
            // take a healthy volunteer out of a test that is about something else.
            "--Health:ActiveEnabled=false",
            "--Health:Interval=00:00:00.5",
            "--Health:Timeout=00:00:00.4",
            "--Logging:LogLevel:Default=Warning",
        };
        for (var i = 0; i < volunteers.Count; i++)
        {
            args.Add($"--Volunteers:{i}:Id={volunteers[i].Id}");
            args.Add($"--Volunteers:{i}:Url={volunteers[i].BaseUrl}");
        }

        args.AddRange(settings);
        var app = GatewayHost.Build([.. args], configure);
        await app.StartAsync();
        return new GatewayUnderTest(app, origin, originMeter, volunteers);
    }

    /// <summary>Tells the store that the volunteer holds these paths (what an inventory or the tracker would say).</summary>
    public async Task HoldAsync(string volunteerId, params string[] paths)
    {
        var catalog = App.Services.GetRequiredService<CatalogState>().Current;
        var contents = paths.Select(p => catalog.Find(p)?.ContentId ?? throw new ArgumentException($"{p} is not in the catalog")).ToArray();
        await Store.UpdateHoldingsAsync(volunteerId, contents, [], CancellationToken.None);
        var view = App.Services.GetRequiredService<HoldingsView>();
        await Eventually.HoldsAsync(() => contents.All(c => view.HoldersOf(c).Contains(volunteerId)), TimeSpan.FromSeconds(5), () => "the view did not follow the store");
    }

    public DestinationHealth PassiveHealth(string volunteerId)
    {
        var lookup = App.Services.GetRequiredService<IProxyStateLookup>();
        return lookup.TryGetCluster(GatewayClusters.Volunteers, out var cluster) && cluster.Destinations.TryGetValue(volunteerId, out var d)
            ? d.Health.Passive
            : DestinationHealth.Unknown;
    }

    public DestinationHealth ActiveHealth(string volunteerId)
    {
        var lookup = App.Services.GetRequiredService<IProxyStateLookup>();
        return lookup.TryGetCluster(GatewayClusters.Volunteers, out var cluster) && cluster.Destinations.TryGetValue(volunteerId, out var d)
            ? d.Health.Active
            : DestinationHealth.Unknown;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Origin.DisposeAsync();
        OriginMeter.Dispose();
        foreach (var volunteer in Volunteers)
        {
            await volunteer.DisposeAsync();
        }
    }
}
