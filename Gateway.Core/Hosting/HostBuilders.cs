namespace Gateway.Core.Hosting;

/// <summary>How every host of the executable starts its configuration (gateway, tracker, volunteer agent, verify-proxy).</summary>
public static class HostBuilders
{
    /// <summary>
    /// The slim builder, with the settings shipped beside the executable as the lowest layer, then the usual
    /// <c>appsettings.json</c>, environment and command line, then <c>--config FILE</c> with the command line again on top,
    /// so command-line settings win over the file as they do over <c>appsettings.json</c>.
    /// </summary>
    /// <param name="args">the host's arguments, <c>--config FILE</c> included.</param>
    /// <param name="reloadConfigFile">whether edits of the file apply without a restart (the gateway and tracker follow weights and volunteers).</param>
    public static WebApplicationBuilder CreateSlim(string[] args, bool reloadConfigFile)
    {
        ArgumentNullException.ThrowIfNull(args);
        var rest = ConfigFileArgument.Split(args, out var configFile);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = rest });
        ShippedSettings.AddTo(builder.Configuration);
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: reloadConfigFile);
            builder.Configuration.AddCommandLine(rest);
        }

        return builder;
    }
}
