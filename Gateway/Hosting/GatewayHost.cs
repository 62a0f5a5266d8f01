using Gateway.AccessLog;
using Gateway.BalancerManager;
using Gateway.Catalog;
using Gateway.Feedback.Store;
using Gateway.Health;
using Gateway.Holders;
using Gateway.Metrics;
using Gateway.Proxy;
using Gateway.Redirect;
using Gateway.RequestPaths;
using Gateway.Selection;
using Gateway.Selection.Apache;
using Gateway.Tracing;
using Gateway.Tracker;
using Gateway.Verification;
using Gateway.Volunteers;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
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

        KestrelHardening.Apply(builder);

        // The slim builder's console logger is fixed to the simple format: add the json and systemd
        // formatters and let Logging:Console (FormatterName=json) choose again (docs/operations.md).
        builder.Logging.AddConsole();
        builder.Services.Configure<ConsoleLoggerOptions>(builder.Configuration.GetSection("Logging:Console"));

        // balancer-manager's lbmethod edits are the last configuration layer, so they win and reload like any edit.
        var lbMethod = new LbMethodOverride();
        ((IConfigurationBuilder)builder.Configuration).Add(lbMethod);
        builder.Services.AddSingleton(lbMethod);
        configure?.Invoke(builder);
        builder.Services.AddSystemd();
        builder.Services.AddLastValidOptions();
        AddGateway(builder.Services, builder.Configuration);
        var app = builder.Build();
        ValidateOptions(app.Services);
        if (app.Services.GetRequiredService<IOptions<AccessLogOptions>>().Value.Enabled)
        {
            app.UseMiddleware<AccessLogMiddleware>();
        }

        // The tracing steps are added only when tracing is on, so a gateway without it runs no extra step per request.
        var tracing = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Tracing.Enabled;
        app.UseMiddleware<PathGuardMiddleware>();
        app.MapGatewayHealth();
        app.MapGatewayMetrics();
        app.MapBalancerManager();
        VerificationSetup.MapVerification(app);
        app.MapReverseProxy(pipeline =>
        {
            if (tracing)
            {
                pipeline.UseMiddleware<SelectionTracingMiddleware>();
            }

            pipeline.UseMiddleware<HoldersOnlyMiddleware>();
            pipeline.UseLoadBalancing();
            if (tracing)
            {
                pipeline.UseMiddleware<ChoiceTracingMiddleware>();
            }

            pipeline.UseMiddleware<RedirectMiddleware>();
            pipeline.UseMiddleware<VerifyingProxyMiddleware>();
            pipeline.UseMiddleware<FailoverMiddleware>();
            if (tracing)
            {
                pipeline.UseMiddleware<AttemptTracingMiddleware>();
            }

            pipeline.UseMiddleware<MemberAccountingMiddleware>();
            pipeline.UseMiddleware<MemberTimeoutMiddleware>();
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

        // YARP waits max(ReactivationPeriod, failure-rate window) before it tries a volunteer again, so that old
        // failures do not judge it; its window is 60 s, which made a 30 s (or 2 s) reactivation take a minute.
        // A window no longer than the period keeps both promises: the period as configured, judged on fresh requests.
        services.AddOptions<Yarp.ReverseProxy.Health.TransportFailureRateHealthPolicyOptions>()
            .Configure<IOptions<HealthOptions>>((rate, health) => rate.DetectionWindowSize = health.Value.ReactivationPeriod < rate.DetectionWindowSize ? health.Value.ReactivationPeriod : rate.DetectionWindowSize);
        AddValidatedOptions<ProxyOptions, ProxyOptionsValidator>(services, configuration.GetSection(ProxyOptions.Section));
        AddValidatedOptions<SelectionOptions, SelectionOptionsValidator>(services, configuration.GetSection(SelectionOptions.Section));
        AddValidatedOptions<ReadinessOptions, ReadinessOptionsValidator>(services, configuration.GetSection(ReadinessOptions.Section));
        AddValidatedOptions<AccessLogOptions, AccessLogOptionsValidator>(services, configuration.GetSection(AccessLogOptions.Section));
        AddVolunteerOptions(services, configuration);

        services.AddSingleton<GatewayMetrics>();
        services.AddGatewayTelemetry(configuration);
        services.AddSingleton<ReadinessCheck>();
        services.AddSingleton<AccessLogWriter>();
        if (configuration.GetValue<bool>($"{AccessLogOptions.Section}:{nameof(AccessLogOptions.Enabled)}"))
        {
            services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());
        }

        services.AddSingleton<CatalogState>();
        services.AddHttpClient<ManifestSource>();
        services.AddSingleton<CatalogReloadService>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogReloadService>());

        services.AddSwarmStore(configuration);
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
        services.AddSingleton<RetryPicker>();
        services.AddSingleton<PassiveHealthReporter>();
        services.AddApacheBalancer(configuration);
        services.AddBalancerManager(configuration);

        VerificationSetup.AddVerification(services, configuration);
        services.AddSingleton<IProxyConfigProvider, GatewayProxyConfigProvider>();
        services.AddReverseProxy()
            .AddTransforms(context => context.AddResponseTransform(VolunteerResponseTransform.ApplyAsync));
    }

    /// <summary>The <c>Volunteers</c> array, validated and followed on reload (the gateway and the <c>tracker</c> command).</summary>
    public static void AddVolunteerOptions(IServiceCollection services, IConfiguration configuration)
    {
        var volunteers = configuration.GetSection(VolunteerSetOptions.Section);
        services.AddOptions<VolunteerSetOptions>().Configure(o => volunteers.Bind(o.Members)).ValidateOnStart();
        services.AddSingleton<IOptionsChangeTokenSource<VolunteerSetOptions>>(new ConfigurationChangeTokenSource<VolunteerSetOptions>(volunteers));
        services.AddSingleton<IValidateOptions<VolunteerSetOptions>, VolunteerSetOptionsValidator>();
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
        _ = services.GetRequiredService<IOptions<ReadinessOptions>>().Value;
        _ = services.GetRequiredService<IOptions<AccessLogOptions>>().Value;
        _ = services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        _ = services.GetRequiredService<IOptions<BalancerOptions>>().Value;
        _ = services.GetRequiredService<IOptions<BalancerManagerOptions>>().Value;
        _ = services.GetRequiredService<IOptions<Feedback.Tracker.TrackerOptions>>().Value;
        VerificationSetup.ValidateOptions(services);
        _ = services.GetRequiredService<IOptions<StoreOptions>>().Value;
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
