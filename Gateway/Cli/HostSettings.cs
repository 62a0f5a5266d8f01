using System.CommandLine;
using System.CommandLine.Parsing;

namespace Gateway.Cli;

/// <summary>
/// What the hosting commands (serve, tracker, volunteer, verify-proxy) hand to .NET configuration:
/// <c>--config FILE</c>, <c>--urls</c> and any number of <c>--Section:Key=value</c> settings. Settings are
/// open-ended (every configuration key is one), so they are one argument whose tokens are checked for the
/// shape of a setting: anything else is refused with a suggestion, as an unknown option is elsewhere.
/// </summary>
internal sealed class HostSettings
{
    private readonly Option<string?> _config = new("--config")
    {
        Description = "a JSON settings file (like appsettings.json); later settings win over it",
        HelpName = "FILE",
    };

    private readonly Option<string?> _urls = new("--urls")
    {
        Description = "the addresses Kestrel listens on, separated by ';' (ASP.NET's urls setting)",
        HelpName = "URL",
    };

    private readonly Argument<string[]> _settings = new("settings")
    {
        Description = "any configuration key, e.g. --Gateway:Mode=Proxy or --Logging:LogLevel:Gateway=Debug (README.md)",
        HelpName = "--Section:Key=value",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>Declares the options and the settings on <paramref name="command"/>.</summary>
    public HostSettings(Command command)
    {
        command.Options.Add(_config);
        command.Options.Add(_urls);
        command.Arguments.Add(_settings);
        _settings.Validators.Add(result => Validate(result, command));
    }

    /// <summary>The arguments for the host's configuration, in the format of .NET's command-line provider.</summary>
    public string[] HostArguments(ParseResult result)
    {
        var arguments = new List<string>();
        if (result.GetValue(_config) is { } config)
        {
            arguments.AddRange(["--config", config]);
        }

        if (result.GetValue(_urls) is { } urls)
        {
            arguments.AddRange(["--urls", urls]);
        }

        arguments.AddRange(result.GetValue(_settings) ?? []);
        return [.. arguments];
    }

    private static void Validate(ArgumentResult result, Command command)
    {
        var tokens = result.Tokens;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i].Value;
            if (token.StartsWith("--", StringComparison.Ordinal) && token.Length > 2 && token[2] != '=' && token.Contains('=', StringComparison.Ordinal))
            {
                continue;
            }

            // "--Section:Key value": the key names a section, so it is a setting and the next token its value.
            if (token.StartsWith("--", StringComparison.Ordinal) && token.Contains(':', StringComparison.Ordinal) && i + 1 < tokens.Count)
            {
                i++;
                continue;
            }

            result.AddError(token.StartsWith('-')
                ? $"Unrecognized option '{token}'.{Suggestions.For(token, command)} Settings are written --Section:Key=value."
                : $"Unexpected argument '{token}'.{Suggestions.For(token, command)}");
        }
    }
}
