using System.CommandLine;
using Gateway.Hosting;

namespace Gateway.Cli;

/// <summary><c>serve</c>: the gateway (also what runs when no command is named).</summary>
internal sealed class ServeVerb
{
    public ServeVerb()
    {
        var settings = new HostSettings(Command);
        Command.SetAction((result, cancellationToken) => HostRun.RunAsync(GatewayHost.Build(settings.HostArguments(result)), cancellationToken));
    }

    public Command Command { get; } = new("serve", "Run the gateway (the default command). Settings come from appsettings.json, --config FILE, environment variables (Gateway__Mode=Proxy) and the command line, later ones winning.");
}
