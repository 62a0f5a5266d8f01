using Microsoft.Extensions.Configuration.Json;

namespace Gateway.Core.Hosting;

/// <summary>
/// The <c>appsettings.json</c> shipped beside the executable (the default log levels, docs/operations.md), read by
/// every host of the executable (gateway, tracker, volunteer agent, client proxy) as their first configuration layer.
/// </summary>
public static class ShippedSettings
{
    public const string FileName = "appsettings.json";

    /// <summary>
    /// Adds the shipped file below every other source. The host's own <c>appsettings.json</c> is read from the
    /// working directory (the content root), which is rarely the executable's folder under systemd or Docker; an
    /// operator's appsettings.json there, <c>--config</c>, the environment and the command line all still win.
    /// </summary>
    public static void AddTo(IConfigurationBuilder configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var source = new JsonConfigurationSource
        {
            Path = Path.Combine(AppContext.BaseDirectory, FileName),
            Optional = true,
            ReloadOnChange = false,
        };
        source.ResolveFileProvider();
        configuration.Sources.Insert(0, source);
    }
}
