using System.CommandLine;
using Gateway.Tools.ApacheImport;

namespace Gateway.Cli;

/// <summary><c>import-apache</c>: appsettings from an Apache balancer configuration.</summary>
internal sealed class ImportApacheVerb
{
    private readonly Argument<string> _conf = new("httpd.conf") { Description = "the Apache configuration to read (Include and IncludeOptional are followed)" };
    private readonly Option<string?> _out = new("--out") { Description = "write the settings here instead of to stdout", HelpName = "FILE" };
    private readonly Option<string?> _balancer = new("--balancer") { Description = "the balancer to import when there are several", HelpName = "NAME" };
    private readonly Option<string?> _serverRoot = new("--server-root") { Description = "ServerRoot for relative includes (default: from the file)", HelpName = "DIR" };

    public ImportApacheVerb()
    {
        Command.Arguments.Add(_conf);
        Command.Options.Add(_out);
        Command.Options.Add(_balancer);
        Command.Options.Add(_serverRoot);
        Command.SetAction((result, cancellationToken) => ImportApacheCommand.RunAsync(
            new ImportApacheRequest(result.GetValue(_conf)!, result.GetValue(_out), result.GetValue(_balancer), result.GetValue(_serverRoot)),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error,
            cancellationToken));
    }

    public Command Command { get; } = new(
        "import-apache",
        "Turn Apache <Proxy \"balancer://…\"> blocks into appsettings and list, with file:line, every directive or parameter not carried over (docs/apache-compatibility.md).");
}
