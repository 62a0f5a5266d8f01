using Gateway.Core.Hosting;
using Gateway.Delivery.BalancerManager;
using Gateway.Delivery.Setup;
using Gateway.Feedback.Tracker;
using Gateway.State.Setup;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>Builds the gateway web application: services, the YARP pipeline and the health endpoints.</summary>
public static class GatewayHost
{
    /// <summary>Builds the gateway from command-line arguments (ASP.NET Core configuration; <c>--config FILE</c> adds a JSON file).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The slim builder: the full one adds per-request work (host filtering, diagnostics) worth ~2.5 µs
        // of CPU per request here, a fifth of what a redirect costs (see docs/benchmarks.md).
        var builder = HostBuilders.CreateSlim(args, reloadConfigFile: true);

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
        DeliverySetup.ValidateOptions(app.Services);
        _ = app.Services.GetRequiredService<IOptions<TrackerOptions>>().Value;
        app.UseDelivery();
        return app;
    }

    /// <summary>Registers every part of the gateway; tests replace single services after this.</summary>
    public static void AddGateway(IServiceCollection services, IConfiguration configuration)
    {
        // The stores first: the request path reads the holdings view, the tracker writes swarm peers and holdings.
        services.AddStores(configuration);
        services.AddDelivery(configuration);
        services.AddGatewayTracker(configuration);
    }
}
