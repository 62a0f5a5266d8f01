using Gateway.Core.Catalog;
using Gateway.Core.Telemetry;
using Gateway.Delivery.AccessLog;
using Gateway.Delivery.Availability;
using Gateway.Delivery.BalancerManager;
using Gateway.Delivery.Cluster;
using Gateway.Delivery.Health;
using Gateway.Delivery.Holders;
using Gateway.Delivery.Load;
using Gateway.Delivery.Metrics;
using Gateway.Delivery.Mirrors;
using Gateway.Delivery.Proxy;
using Gateway.Delivery.Proxy.Transport;
using Gateway.Delivery.Quarantine;
using Gateway.Delivery.Redirect;
using Gateway.Delivery.Releases;
using Gateway.Delivery.Reports;
using Gateway.Delivery.RequestPaths;
using Gateway.Delivery.Selection;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Tracing;
using Gateway.Delivery.Verification;
using Gateway.Delivery.Volunteers;
using Gateway.State;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Delivery.Setup;

/// <summary>Registers and maps the gateway's request path; the executable composes it with the tracker and the host.</summary>
public static class DeliverySetup
{
    /// <summary>The request path: path guard, health, metrics, balancer-manager, verification endpoints and the YARP pipeline.</summary>
    public static void UseDelivery(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
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

        // ?meta4, ?mirrorlist, the tamper report and the quarantine endpoints, before the proxy's catch-all route.
        app.UseMiddleware<MirrorInfoMiddleware>();
        QuarantineEndpoints.Map(app);
        VolunteerReportEndpoint.Map(app);
        ReleaseFeedEndpoints.Map(app);
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

            // One loop for every attempt, plain or verified: selection again on failover, accounting, per-member
            // timeout, tracing, passive health (no YARP passive-health step: the loop reports each attempt once).
            pipeline.UseMiddleware<AttemptLoop>();
        });
    }

    /// <summary>Registers the request path; the stores (<c>AddStores</c>) and the tracker are registered by the host beside it.</summary>
    public static IServiceCollection AddDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        AddValidatedOptions<GatewayOptions, GatewayOptionsValidator>(services, configuration.GetSection(GatewayOptions.Section));
        AddValidatedOptions<OriginOptions, OriginOptionsValidator>(services, configuration.GetSection(OriginOptions.Section));
        AddValidatedOptions<HealthOptions, HealthOptionsValidator>(services, configuration.GetSection(HealthOptions.Section));

        // YARP waits max(ReactivationPeriod, failure-rate window) before it tries a volunteer again, so that old
        // failures do not judge it; its window is 60 s, which made a 30 s (or 2 s) reactivation take a minute.
        // A window no longer than the period keeps both promises: the period as configured, judged on fresh requests.
        services.AddOptions<Yarp.ReverseProxy.Health.TransportFailureRateHealthPolicyOptions>()
            .Configure<IOptions<HealthOptions>>((rate, health) => rate.DetectionWindowSize = health.Value.ReactivationPeriod < rate.DetectionWindowSize ? health.Value.ReactivationPeriod : rate.DetectionWindowSize);
        AddValidatedOptions<ProxyOptions, ProxyOptionsValidator>(services, configuration.GetSection(ProxyOptions.Section));
        var selection = configuration.GetSection(SelectionOptions.Section);
        AddValidatedOptions<SelectionOptions, SelectionOptionsValidator>(services, selection);

        // Unset, the max age follows the volunteers' announce interval (read on every reload: the key may come or go).
        services.AddOptions<SelectionOptions>().PostConfigure<IOptionsMonitor<Gateway.Feedback.Tracker.TrackerOptions>>((options, tracker) =>
        {
            if (selection[nameof(SelectionOptions.FeedbackMaxAge)] is null)
            {
                options.FeedbackMaxAge = SelectionOptions.DefaultFeedbackMaxAge(tracker.CurrentValue);
            }
        });
        services.AddSingleton<FeedbackAgeCheck>();
        AddValidatedOptions<ReadinessOptions, ReadinessOptionsValidator>(services, configuration.GetSection(ReadinessOptions.Section));
        AddValidatedOptions<AccessLogOptions, AccessLogOptionsValidator>(services, configuration.GetSection(AccessLogOptions.Section));
        AddVolunteerOptions(services, configuration);

        services.AddSingleton<GatewayMetrics>();
        services.AddGatewayTelemetry(configuration);
        services.AddSingleton<VolunteerStateMetrics>();
        services.AddSingleton<HoldingsViewMetrics>();
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics
            .AddInstrumentation(sp => sp.GetRequiredService<VolunteerStateMetrics>())
            .AddInstrumentation(sp => sp.GetRequiredService<HoldingsViewMetrics>()));
        services.AddSingleton<ReadinessCheck>();
        services.AddSingleton<AccessLogWriter>();
        if (configuration.GetValue<bool>($"{AccessLogOptions.Section}:{nameof(AccessLogOptions.Enabled)}"))
        {
            services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());
        }

        services.AddCatalog(configuration);

        services.AddHttpClient<InventoryReader>();
        services.AddSingleton<InventoryService>();
        services.AddHostedService(sp => sp.GetRequiredService<InventoryService>());

        services.AddSingleton<VolunteerDirectory>();
        services.AddSingleton<OriginOnlyPaths>();
        services.AddSingleton<DispatchLedger>();
        services.AddSingleton<LoadEstimator>();
        services.AddSingleton<VolunteerState>();
        services.TryAddSingleton<IRandomSource, SelectionRandomSource>();
        services.AddSingleton<ILoadBalancingPolicy, FeedbackPowerOfTwoPolicy>();
        services.AddSingleton<RetryPicker>();
        services.AddSingleton<PassiveHealthReporter>();
        services.AddSingleton<IActiveHealthCheckPolicy, LoggedProbePolicy>();
        services.AddSingleton<MemberAccounting>();
        services.AddSingleton<AttemptAccounting>();
        services.AddSingleton<AttemptTracer>();
        services.AddApacheBalancer(configuration);
        services.AddBalancerManager(configuration);

        AddValidatedOptions<VerifyOptions, VerifyOptionsValidator>(services, configuration.GetSection(VerifyOptions.Section));
        services.AddSingleton<QuarantineList>();
        AddValidatedOptions<StallOptions, StallOptionsValidator>(services, configuration.GetSection(StallOptions.Section));
        services.AddSingleton<StallBench>();

        // https volunteers: the same certificate trust for YARP's clients (registered before AddReverseProxy, whose
        // TryAdd then keeps it) and the verified proxy's.
        services.AddSingleton<VolunteerCertificateTrust>();
        services.AddSingleton<Yarp.ReverseProxy.Forwarder.IForwarderHttpClientFactory, VolunteerHttpClientFactory>();
        services.AddSingleton<VerifiedProxy>();
        services.AddSingleton<HealthyHolders>();
        services.AddSingleton<MirrorLinks>();

        // Several gateways on one Redis store ban a tamperer together (the store's RedisConnection is registered by AddStores).
        if (configuration.GetValue<StoreKind>($"{StoreOptions.Section}:{nameof(StoreOptions.Kind)}") == StoreKind.Redis)
        {
            services.AddSingleton<SharedQuarantine>();
            services.AddHostedService(sp => sp.GetRequiredService<SharedQuarantine>());
        }

        services.AddSingleton<IProxyConfigProvider, GatewayProxyConfigProvider>();
        services.AddReverseProxy()
            .AddTransforms(context => context.AddResponseTransform(VolunteerResponseTransform.ApplyAsync));

        // AddReverseProxy registers DataProtection for YARP's session affinity, which the gateway never turns on
        // (Apache's sticky sessions are read by Selection/Apache). Left alone, its hosted service loads the key ring
        // at start, creates a key file under ~/.aspnet and warns that it is unencrypted. Nothing protected here
        // outlives the process, so the keys stay in memory and the start-up key ring load goes.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        foreach (var keyRingLoad in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "DataProtectionHostedService").ToList())
        {
            services.Remove(keyRingLoad);
        }
        return services;
    }

    /// <summary>The <c>Volunteers</c> array, validated and followed on reload (the gateway and the <c>tracker</c> command).</summary>
    public static void AddVolunteerOptions(this IServiceCollection services, IConfiguration configuration)
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
    public static void ValidateOptions(IServiceProvider services)
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
        _ = services.GetRequiredService<IOptions<VerifyOptions>>().Value;
        _ = services.GetRequiredService<IOptions<StallOptions>>().Value;
        _ = services.GetRequiredService<IOptions<StoreOptions>>().Value;
        services.GetRequiredService<FeedbackAgeCheck>().WarnIfReportsGoStale();
    }

    private static void AddValidatedOptions<TOptions, TValidator>(IServiceCollection services, IConfigurationSection section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }
}
