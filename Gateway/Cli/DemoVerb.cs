using System.CommandLine;
using Gateway.Demo;

namespace Gateway.Cli;

/// <summary><c>demo</c>: the embedded default (sample repository, origin, three volunteers, the gateway).</summary>
internal sealed class DemoVerb
{
    private readonly Option<int> _port = new("--port")
    {
        Description = "the gateway's port on 127.0.0.1",
        HelpName = "PORT",
        DefaultValueFactory = _ => 8080,
    };

    private readonly Option<string> _data = new("--data")
    {
        Description = "where the sample repository is written",
        HelpName = "FOLDER",
        DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "gateway-demo"),
    };

    private readonly Option<int> _traffic = new("--traffic")
    {
        Description = "seconds of generated customer traffic (0: none)",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 0,
    };

    public DemoVerb()
    {
        Command.Options.Add(_port);
        Command.Options.Add(_data);
        Command.Options.Add(_traffic);
        _port.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 65535)
            {
                result.AddError("--port must be from 0 to 65535.");
            }
        });
        _traffic.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > DemoTraffic.MaxSeconds)
            {
                result.AddError($"--traffic takes 0 (none) to {DemoTraffic.MaxSeconds} seconds.");
            }
        });
        Command.SetAction((result, cancellationToken) => DemoCommand.RunAsync(
            result.GetValue(_port), result.GetValue(_data)!, result.GetValue(_traffic), result.InvocationConfiguration.Output, cancellationToken));
    }

    public Command Command { get; } = new("demo", "A sample repository, an origin, three volunteers and the gateway on http://127.0.0.1:8080, with ready-to-paste curl commands. Ctrl-C stops it.");
}
