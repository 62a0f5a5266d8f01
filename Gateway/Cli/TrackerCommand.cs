using System.CommandLine;
using System.Diagnostics.Metrics;
using Gateway.Core.Catalog;
using Gateway.Core.Hosting;
using Gateway.Core.Telemetry;
using Gateway.Delivery.Setup;
using Gateway.Feedback.Tracker;
using Gateway.Hosting;
using Gateway.State;
using Gateway.State.Setup;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Gateway.Cli;

/// <summary>
/// The <c>tracker</c> subcommand: the tracker alone, with the catalog (which torrents to track) and the
/// volunteers' keys from the same configuration as the gateway. With <c>Store:Kind=Redis</c> its swarms, the
/// volunteers' holdings and load live in the Redis the gateways follow; with the in-memory store it shares
/// nothing with a gateway process (benchmarks).
/// </summary>
internal sealed class TrackerCommand
{
    public TrackerCommand()
    {
        var settings = new HostSettings(Command);
        Command.SetAction((result, cancellationToken) => RunAsync(settings.HostArguments(result), cancellationToken));
    }

    public Command Command { get; } = new(
        "tracker",
        "The BitTorrent tracker alone (HTTP and UDP announce and scrape, keyed volunteers, load feedback), e.g. --Tracker:Urls=http://0.0.0.0:6969 --Tracker:UdpPort=6969 --Catalog:Source=manifest.json --Store:Kind=Redis --Store:Redis=host:6379 (docs/tracker.md).");

    private static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var builder = HostBuilders.CreateSlim(args, reloadConfigFile: true);

        var services = builder.Services;
        var configuration = builder.Configuration;
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        services.AddSystemd();
        services.AddLastValidOptions();
        services.AddSingleton(TimeProvider.System);
        services.AddCatalog(configuration);
        services.AddVolunteerOptions(configuration);
        services.AddStores(configuration);
        services.AddGatewayTracker(configuration, host: true);

        // The tracker serves its own ports; Kestrel only carries /metrics, and only when asked to.
        var metricsUrl = configuration[$"{TrackerOptions.Section}:{nameof(TrackerOptions.MetricsUrl)}"];
        var exportMetrics = !string.IsNullOrEmpty(metricsUrl);
        if (exportMetrics)
        {
            builder.WebHost.UseUrls(metricsUrl!);
            services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService("tracker"))
                .WithMetrics(metrics => metrics.AddMeter(TrackerMetrics.MeterName, StoreMetrics.MeterName).AddPrometheusExporter());
            services.ConfigureOpenTelemetryMeterProvider((sp, metrics) => metrics.AddView(GatewayTelemetry.OnlyThisHost(sp.GetRequiredService<IMeterFactory>())));
        }
        else
        {
            services.AddSingleton<IServer, NoListener>();
        }

        var app = builder.Build();

        // A wrong Tracker:MetricsUrl (or any tracker setting) stops the start with its own message, before Kestrel binds.
        _ = app.Services.GetRequiredService<IOptions<TrackerOptions>>().Value;
        if (exportMetrics)
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }

        return await HostRun.RunAsync(app, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stands in for Kestrel when the tracker has no metrics listener: the host runs, nothing more listens.</summary>
    private sealed class NoListener : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
