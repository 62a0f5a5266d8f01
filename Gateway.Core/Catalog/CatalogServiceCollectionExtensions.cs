using Microsoft.Extensions.Options;

namespace Gateway.Core.Catalog;

/// <summary>Registers the catalog: its validated options, the current version and the service that reloads it.</summary>
public static class CatalogServiceCollectionExtensions
{
    /// <summary>Adds <see cref="CatalogState"/>, kept current by <see cref="CatalogReloadService"/> from <c>Catalog:Source</c>.</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<CatalogOptions>().Bind(configuration.GetSection(CatalogOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CatalogOptions>, CatalogOptionsValidator>();
        services.AddSingleton<CatalogState>();
        services.AddHttpClient<ManifestSource>();
        services.AddSingleton<CatalogReloadService>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogReloadService>());
        return services;
    }
}
