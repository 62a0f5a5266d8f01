using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Gateway.Agent.Engine;
using Gateway.Agent.Mirror;
using Gateway.Agent.Relay;
using Gateway.Agent.Serving;
using Gateway.Agent.Status;
using Gateway.Agent.Sync;
using Gateway.Core.Catalog;
using Gateway.Core.Hosting;
using Gateway.Core.Telemetry;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Gateway.Agent.Hosting;

/// <summary>Builds the volunteer agent: a Kestrel app with the customers' listener and a loopback control listener, and the agent's services.</summary>
public static class VolunteerAgentHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = HostBuilders.CreateSlim(args, reloadConfigFile: false);

        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        configure?.Invoke(builder);
        var services = builder.Services;

        // Type=notify under systemd (systemd/volunteer.service); nothing elsewhere.
        services.AddSystemd();
        services.AddOptions<VolunteerAgentOptions>().Bind(builder.Configuration.GetSection(VolunteerAgentOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<VolunteerAgentOptions>, VolunteerAgentOptionsValidator>();

        // Read and check the options now: the listeners are built from them.
        var settings = new VolunteerAgentOptions();
        builder.Configuration.GetSection(VolunteerAgentOptions.Section).Bind(settings);
        var check = new VolunteerAgentOptionsValidator().Validate(null, settings);
        if (check.Failed)
        {
            throw new OptionsValidationException(VolunteerAgentOptions.Section, typeof(VolunteerAgentOptions), check.Failures);
        }

        var endpoints = new AgentEndpoints();
        var control = Bind(new Uri(settings.ControlUrl));
        var listen = Bind(new Uri(settings.Listen));
        var metrics = string.IsNullOrEmpty(settings.MetricsListen) ? ((IPEndPoint EndPoint, Uri Url)?)null : Bind(new Uri(settings.MetricsListen));
        endpoints.ControlUrl = control.Url;
        endpoints.ListenUrl = listen.Url;
        endpoints.MetricsUrl = metrics?.Url;
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(listen.EndPoint);
            k.Listen(control.EndPoint);
            if (metrics is { } m)
            {
                k.Listen(m.EndPoint);
            }
        });
        services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.DrainTimeout + TimeSpan.FromSeconds(45));

        services.AddSingleton(endpoints);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<MirrorState>();
        services.AddSingleton<CustomerTransfers>();
        services.AddSingleton<WireTransfers>();
        services.AddSingleton<ContentStore>();
        services.AddSingleton<CompletionVerifier>();
        services.AddSingleton<AnnounceRelay>();
        services.AddSingleton<WebSeedRelay>();
        services.AddSingleton<MirrorFileServer>();
        services.AddSingleton<AgentStatusReporter>();
        if (settings.UsesTransmission)
        {
            services.AddSingleton<ITorrentEngine, TransmissionEngine>();
        }
        else
        {
            services.AddSingleton<ITorrentEngine, Aria2Engine>();
        }
        services.AddHttpClient<ManifestSource>();
        services.AddHttpClient(nameof(MirrorAgentService));
        services.AddHttpClient(nameof(AnnounceRelay), c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddHttpClient(nameof(WebSeedRelay), c => c.Timeout = TimeSpan.FromMinutes(5));
        services.AddSingleton<AgentDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<AgentDrain>());
        services.AddSingleton<AgentMetrics>();
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(AgentMetrics.MeterName)
            .AddInstrumentation(sp => sp.GetRequiredService<AgentMetrics>())
            .AddPrometheusExporter());
        services.ConfigureOpenTelemetryMeterProvider((sp, m) => m.AddView(GatewayTelemetry.OnlyThisHost(sp.GetRequiredService<IMeterFactory>())));
        services.AddHostedService<MirrorAgentService>();
        services.AddSingleton<ReleaseSignal>();
        services.AddHttpClient(nameof(ReleaseFeedListener), c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddHostedService<ReleaseFeedListener>();

        // Last, so that providers added by configure are wrapped too.
        WebSeed.ClippedAnswerLogFilter.Wrap(services);
        var app = builder.Build();
        var controlPort = control.Url.Port;
        var metricsPort = metrics?.Url.Port ?? controlPort;

        // Prometheus on the control port (loopback) and, when configured, on a listener of its own for a remote
        // Prometheus; never on the customers' listener, and the metrics listener serves nothing else.
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Request.Path == "/metrics" && (context.Connection.LocalPort == controlPort || context.Connection.LocalPort == metricsPort));
        if (metricsPort != controlPort)
        {
            app.MapWhen(context => context.Connection.LocalPort == metricsPort, branch => branch.Run(context => Results.NotFound().ExecuteAsync(context)));
        }

        app.MapWhen(context => context.Connection.LocalPort == controlPort, branch => branch.Run(context => ControlAsync(context, app.Services)));
        var files = app.Services.GetRequiredService<MirrorFileServer>();
        var state = app.Services.GetRequiredService<MirrorState>();
        var status = app.Services.GetRequiredService<AgentStatusReporter>();
        app.Run(context => context.Request.Path.Value switch
        {
            "/healthz" => (state.Healthy && !state.Draining
                ? Results.Text("ok\n")
                : Results.Problem(statusCode: 503, title: "Unavailable", detail: state.Draining ? "draining" : "the BitTorrent engine is down")).ExecuteAsync(context),
            "/.well-known/volunteer-status" => Results.Json(status.Current(), AgentStatusJsonContext.Default.AgentStatus).ExecuteAsync(context),
            _ => files.HandleAsync(context),
        });
        return app;
    }

    /// <summary>The control listener: the engine's announce relay, the status and the drain.</summary>
    private static Task ControlAsync(HttpContext context, IServiceProvider services)
    {
        var path = context.Request.Path.Value;
        if (path == "/announce")
        {
            return services.GetRequiredService<AnnounceRelay>().HandleAsync(context);
        }

        if (path?.StartsWith(WebSeedRelay.PathPrefix, StringComparison.Ordinal) == true)
        {
            return services.GetRequiredService<WebSeedRelay>().HandleAsync(context);
        }

        if (path == "/status")
        {
            var status = services.GetRequiredService<AgentStatusReporter>().Current();
            return context.Request.Query.ContainsKey("text")
                ? Results.Text(status.ToText()).ExecuteAsync(context)
                : Results.Json(status, AgentStatusJsonContext.Default.AgentStatus).ExecuteAsync(context);
        }

        if (path == "/drain" && HttpMethods.IsPost(context.Request.Method))
        {
            // Drain first, then stop the host (which waits for the same drain): the agent exits when done.
            var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
            _ = services.GetRequiredService<AgentDrain>().DrainAsync().ContinueWith(_ => lifetime.StopApplication(), TaskScheduler.Default);
            return Results.Accepted(value: "draining\n").ExecuteAsync(context);
        }

        return Results.NotFound().ExecuteAsync(context);
    }

    /// <summary>The endpoint to listen on and the URL it gives; port 0 becomes a free port now, so both are known before start.</summary>
    private static (IPEndPoint EndPoint, Uri Url) Bind(Uri url)
    {
        var address = url.Host is "localhost" ? IPAddress.Loopback : IPAddress.TryParse(url.Host, out var ip) ? ip : IPAddress.Any;
        var port = url.Port;
        if (port == 0)
        {
            using var probe = new TcpListener(address, 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var host = address.Equals(IPAddress.Any) ? "127.0.0.1" : url.Host;
        return (new IPEndPoint(address, port), new UriBuilder(url.Scheme, host, port, "/").Uri);
    }
}
