using Gateway.Catalog;
using Gateway.Feedback.Store;
using Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Tracker;

/// <summary>
/// The <c>tracker</c> subcommand: the tracker alone, with the catalog (which torrents to track) and the
/// volunteers' keys from the same configuration as the gateway. With <c>Store:Kind=Redis</c> its swarms, the
/// volunteers' holdings and load live in the Redis the gateways follow; with the in-memory store it shares
/// nothing with a gateway process (benchmarks).
/// </summary>
public static class TrackerCommand
{
    public const string Usage = "  tracker [--config FILE] [--Tracker:Urls=http://0.0.0.0:6969] [--Tracker:UdpPort=6969] [--Catalog:Source=manifest.json] [--Store:Kind=Redis --Store:Redis=host:6379]";

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var rest = new List<string>();
        string? configFile = null;
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

        var builder = Host.CreateApplicationBuilder([.. rest]);
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: true);
            builder.Configuration.AddCommandLine([.. rest]);
        }

        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSystemd();
        services.AddLastValidOptions();
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<CatalogOptions>().Bind(configuration.GetSection(CatalogOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CatalogOptions>, CatalogOptionsValidator>();
        GatewayHost.AddVolunteerOptions(services, configuration);
        services.AddSingleton<CatalogState>();
        services.AddHttpClient<ManifestSource>();
        services.AddSingleton<CatalogReloadService>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogReloadService>());
        services.AddSwarmStore(configuration);
        services.AddGatewayTracker(configuration, host: true);
        using var host = builder.Build();
        await host.RunAsync().ConfigureAwait(false);
        return 0;
    }
}
