using Gateway.Catalog;
using Gateway.Feedback.Store;
using Gateway.Health;
using Gateway.Holders;
using Gateway.Metrics;
using Gateway.Proxy;
using Gateway.Redirect;
using Gateway.RequestPaths;
using Gateway.Selection;
using Gateway.Tracker;
using Gateway.Volunteers;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Hosting;

/// <summary>Builds the gateway web application: services, the YARP pipeline and the health endpoints.</summary>
public static class GatewayHost
{
    /// <summary>Builds the gateway from command-line arguments (ASP.NET Core configuration; <c>--config FILE</c> adds a JSON file).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The slim builder: the full one adds per-request work (host filtering, diagnostics) worth ~2.5 µs
        // of CPU per request here, a fifth of what a redirect costs (see docs/benchmarks.md).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = WithoutConfigFile(args, out var configFile) });
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: true);

            // Command-line settings win over the file, as they do over appsettings.json.
            builder.Configuration.AddCommandLine(WithoutConfigFile(args, out _));
        }

        // With any logger enabled for it, ASP.NET's hosting diagnostics start an Activity and a log scope
        // for every request (~600 bytes and ~1 µs); request logging is the access log's job here.
        // An explicit setting for this category in the configuration still wins.
        const string hostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";
        if (builder.Configuration[$"Logging:LogLevel:{hostingDiagnostics}"] is null)
        {
            builder.Logging.AddFilter(hostingDiagnostics, LogLevel.None);
        }

        configure?.Invoke(builder);
        AddGateway(builder.Services, builder.Configuration);
        var app = builder.Build();
        ValidateOptions(app.Services);
        app.UseMiddleware<PathGuardMiddleware>();
        app.MapGet("/healthz", () => Results.Text("ok\n")).ShortCircuit();
        app.MapGet("/readyz", (CatalogState catalog) => catalog.IsLoaded
            ? Results.Text($"ready: catalog of {catalog.Current.Count} files loaded at {catalog.LoadedAt:O}\n")
            : Results.Problem(statusCode: 503, title: "Not ready", detail: "No catalog is loaded yet; see the log for why.")).ShortCircuit();
        app.MapReverseProxy(pipeline =>
        {
            pipeline.UseMiddleware<HoldersOnlyMiddleware>();
            pipeline.UseLoadBalancing();
            pipeline.UseMiddleware<RedirectMiddleware>();
            pipeline.UseMiddleware<FailoverMiddleware>();
            pipeline.UsePassiveHealthChecks();
        });
        return app;
    }

    /// <summary>Registers every part of the gateway; tests replace single services after this.</summary>
    public static void AddGateway(IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        AddValidatedOptions<GatewayOptions, GatewayOptionsValidator>(services, configuration.GetSection(GatewayOptions.Section));
        AddValidatedOptions<OriginOptions, OriginOptionsValidator>(services, configuration.GetSection(OriginOptions.Section));
        AddValidatedOptions<CatalogOptions, CatalogOptionsValidator>(services, configuration.GetSection(CatalogOptions.Section));
        AddValidatedOptions<HealthOptions, HealthOptionsValidator>(services, configuration.GetSection(HealthOptions.Section));
        AddValidatedOptions<ProxyOptions, ProxyOptionsValidator>(services, configuration.GetSection(ProxyOptions.Section));
        AddValidatedOptions<SelectionOptions, SelectionOptionsValidator>(services, configuration.GetSection(SelectionOptions.Section));
        var volunteers = configuration.GetSection(VolunteerSetOptions.Section);
        services.AddOptions<VolunteerSetOptions>().Configure(o => volunteers.Bind(o.Members)).ValidateOnStart();
        services.AddSingleton<IOptionsChangeTokenSource<VolunteerSetOptions>>(new ConfigurationChangeTokenSource<VolunteerSetOptions>(volunteers));
        services.AddSingleton<IValidateOptions<VolunteerSetOptions>, VolunteerSetOptionsValidator>();

        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<CatalogState>();
        services.AddHttpClient<ManifestSource>();
        services.AddSingleton<CatalogReloadService>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogReloadService>());

        services.TryAddSingleton<ISwarmStore, InMemorySwarmStore>();
        services.AddSingleton<SwarmView>();
        services.AddSingleton<SwarmFollower>();
        services.AddHostedService(sp => sp.GetRequiredService<SwarmFollower>());
        services.AddGatewayTracker(configuration);
        services.AddHttpClient<InventoryReader>();
        services.AddSingleton<InventoryService>();
        services.AddHostedService(sp => sp.GetRequiredService<InventoryService>());

        services.AddSingleton<VolunteerDirectory>();
        services.AddSingleton<OriginOnlyPaths>();
        services.AddSingleton<DispatchLedger>();
        services.AddSingleton<LoadEstimator>();
        services.TryAddSingleton<IRandomSource, SelectionRandomSource>();
        services.AddSingleton<ILoadBalancingPolicy, FeedbackPowerOfTwoPolicy>();

        services.AddSingleton<IProxyConfigProvider, GatewayProxyConfigProvider>();
        services.AddReverseProxy()
            .AddTransforms(context => context.AddResponseTransform(VolunteerResponseTransform.ApplyAsync));
    }

    /// <summary>
    /// Reads every options class once, so a wrong setting stops the start with its own message
    /// (YARP would otherwise load its config first and wrap the message in its own error).
    /// </summary>
    private static void ValidateOptions(IServiceProvider services)
    {
        _ = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        _ = services.GetRequiredService<IOptions<OriginOptions>>().Value;
        _ = services.GetRequiredService<IOptions<CatalogOptions>>().Value;
        _ = services.GetRequiredService<IOptions<HealthOptions>>().Value;
        _ = services.GetRequiredService<IOptions<ProxyOptions>>().Value;
        _ = services.GetRequiredService<IOptions<SelectionOptions>>().Value;
        _ = services.GetRequiredService<IOptions<VolunteerSetOptions>>().Value;
        _ = services.GetRequiredService<IOptions<Feedback.Tracker.TrackerOptions>>().Value;
    }

    private static void AddValidatedOptions<TOptions, TValidator>(IServiceCollection services, IConfigurationSection section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }

    /// <summary>The arguments without <c>--config FILE</c>, and the file (shared with the volunteer agent's host).</summary>
    internal static string[] WithoutConfigFile(string[] args, out string? configFile)
    {
        configFile = null;
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length)
            {
                configFile = args[++i];
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        return [.. rest];
    }
}
