using System.CommandLine;
using Gateway.Agent.Hosting;

namespace Gateway.Cli;

/// <summary><c>volunteer</c>: run a volunteer agent, or ask a running one for its <c>status</c> or to <c>drain</c>.</summary>
internal sealed class VolunteerVerb
{
    private const string DefaultControl = "http://127.0.0.1:6980/";

    public VolunteerVerb()
    {
        var settings = new HostSettings(Command);
        Command.SetAction((result, cancellationToken) => VolunteerCommand.RunAgentAsync(settings.HostArguments(result), cancellationToken));

        var status = new Command("status", "A running agent's torrents, peers and rates.");
        var statusControl = ControlOption();
        status.Options.Add(statusControl);
        status.SetAction((result, cancellationToken) => VolunteerCommand.StatusAsync(result.GetValue(statusControl)!, result.InvocationConfiguration.Output, cancellationToken));

        var drain = new Command("drain", "Ask a running agent to finish transfers in flight, announce stopped and exit; waits until it did.");
        var drainControl = ControlOption();
        drain.Options.Add(drainControl);
        drain.SetAction((result, cancellationToken) => VolunteerCommand.DrainAsync(result.GetValue(drainControl)!, result.InvocationConfiguration.Output, cancellationToken));

        Command.Subcommands.Add(status);
        Command.Subcommands.Add(drain);
    }

    public Command Command { get; } = new(
        "volunteer",
        "Run a volunteer agent for an edge mirror: follows the origin's manifest, syncs its scope by BitTorrent, serves verified files and relays its announces with its load (docs/volunteer.md).");

    /// <summary>The agent's loopback control listener, which <c>status</c> and <c>drain</c> talk to.</summary>
    private static Option<Uri> ControlOption() => new("--control")
    {
        Description = "the agent's control listener",
        HelpName = "URL",
        DefaultValueFactory = _ => new Uri(DefaultControl),
        CustomParser = result =>
        {
            var value = result.Tokens[0].Value;
            if (Uri.TryCreate(value.TrimEnd('/') + "/", UriKind.Absolute, out var control) && control.Scheme is "http" or "https")
            {
                return control;
            }

            result.AddError($"--control '{value}' is not an http URL.");
            return null;
        },
    };
}
