using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Gateway.Cli;

/// <summary>
/// The one executable's command line: serve, publish, tracker, volunteer (status, drain), demo, import-apache and
/// verify-proxy, each option declared once, with help, --version and typo suggestions from System.CommandLine.
/// Exit codes: 0 ok, 1 failed, 2 bad usage or configuration.
/// </summary>
public static class GatewayCommands
{
    private static readonly string[] RootOnly = ["--help", "-h", "-?", "--version"];

    /// <summary>Parses <paramref name="args"/> and runs the command they name.</summary>
    /// <param name="args">the command line; with no command, or options first, it is <c>serve</c>'s.</param>
    /// <param name="output">standard output (help, results); the console when null.</param>
    /// <param name="error">standard error (usage errors); the console when null.</param>
    /// <param name="cancellationToken">stops a running command (hosts also stop on Ctrl-C and SIGTERM themselves).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        output ??= Console.Out;
        error ??= Console.Error;
        var result = BuildRoot().Parse(WithDefaultCommand(args), new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Action is ParseErrorAction parseError)
        {
            // The error and the suggestion, not three screens of help, and all of it on stderr (System.CommandLine
            // writes its suggestions to stdout); the last line says where help is.
            parseError.ShowHelp = false;
            parseError.ShowTypoCorrections = false;
        }

        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,

            // The hosts own Ctrl-C and SIGTERM (a volunteer drains on SIGTERM, however long that takes).
            ProcessTerminationTimeout = null,

            // A failure prints its message and exits 1 by the runtime's default; a configuration error is ours below.
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            var exitCode = await result.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
            if (result.Errors.Count > 0)
            {
                foreach (var token in result.UnmatchedTokens)
                {
                    if (Suggestions.For(token, result.CommandResult.Command) is { Length: > 0 } suggestion)
                    {
                        await error.WriteLineAsync($"'{token}':{suggestion}").ConfigureAwait(false);
                    }
                }

                await error.WriteLineAsync($"Run '{HelpCommandFor(result)} --help' for usage.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            return exitCode;
        }
        catch (OptionsValidationException ex)
        {
            await error.WriteLineAsync("Configuration error:").ConfigureAwait(false);
            foreach (var failure in ex.Failures)
            {
                await error.WriteLineAsync("  " + failure).ConfigureAwait(false);
            }

            return ExitCodes.Usage;
        }
    }

    /// <summary>The informational version with the commit it was built from (Directory.Build.props).</summary>
    public static string Version =>
        typeof(GatewayCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "A front end for a software repository hostname that sends each download to a volunteer mirror holding the file, "
            + "and falls back to the origin. Configuration reference: README.md. Exit codes: 0 ok, 1 failed, 2 bad usage or configuration.")
        {
            new ServeVerb().Command,
            new PublishVerb().Command,
            new IndexVerb().Command,
            new DemoVerb().Command,
            new TrackerCommand().Command,
            new VolunteerVerb().Command,
            new ImportApacheVerb().Command,
            new VerifyProxyVerb().Command,
        };
        root.HelpName = "Gateway";
        foreach (var version in root.Options.OfType<VersionOption>())
        {
            version.Action = new PrintVersion();
        }

        // Only reached with a typo'd command (no arguments run serve): the parse error says which.
        root.SetAction(_ => ExitCodes.Usage);
        return root;
    }

    /// <summary>No command, or options first, means <c>serve</c>, as before System.CommandLine.</summary>
    private static string[] WithDefaultCommand(string[] args) =>
        args.Length == 0 || (args[0].StartsWith('-') && !RootOnly.Contains(args[0], StringComparer.Ordinal)) ? ["serve", .. args] : args;

    private static string HelpCommandFor(ParseResult result)
    {
        var names = new List<string>();
        for (var command = result.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(command.Command is RootCommand ? "Gateway" : command.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>Prints the executable's own version (the entry assembly is a test host in tests).</summary>
    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return ExitCodes.Ok;
        }
    }
}
