using Gateway.Agent.Hosting;
using Gateway.ClientProxy;
using Gateway.Demo;
using Gateway.Hosting;
using Gateway.Tools.ApacheImport;
using Gateway.Tools.Publish;
using Microsoft.Extensions.Options;

namespace Gateway.Cli;

/// <summary>The one executable's subcommands: serve, publish, tracker, volunteer, demo, import-apache, verify-proxy.</summary>
public static class GatewayCommands
{
    private static readonly string Usage = $"""
        Usage: Gateway <command> [options]

          serve   [--config FILE] [--Section:Key=value ...]   run the gateway (the default command)
        {PublishCommandLine.Usage}
          demo    [--port 8080] [--data FOLDER]              sample repository, origin, 3 volunteers and
                                                             the gateway on http://127.0.0.1:8080
        {TrackerCommand.Usage}
        {VolunteerCommand.Usage}
          import-apache <httpd.conf> [--out FILE] [--balancer NAME]
                                                             appsettings from an Apache balancer; lists what
                                                             is not carried over (docs/apache-compatibility.md)
          verify-proxy [--VerifyProxy:Listen=URL] [--VerifyProxy:ReportKey=KEY]
                                                             verifying HTTP proxy for apt and curl beside a
                                                             customer (docs/verification.md)

        Configuration reference: README.md. Exit codes: 0 ok, 1 failed, 2 bad usage or configuration.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var command = args.Length == 0 || args[0].StartsWith('-') ? "serve" : args[0];
        var rest = args.Length == 0 || args[0].StartsWith('-') ? args : args[1..];
        try
        {
            return command switch
            {
                "serve" => await ServeAsync(rest).ConfigureAwait(false),
                "publish" => await PublishAsync(rest).ConfigureAwait(false),
                "tracker" => await TrackerCommand.RunAsync(rest).ConfigureAwait(false),
                "volunteer" => await VolunteerCommand.RunAsync(rest, Console.Out, CancellationToken.None).ConfigureAwait(false),
                "demo" => await DemoCommand.RunAsync(rest, Console.Out, CancellationToken.None).ConfigureAwait(false),
                "import-apache" => await ImportApacheCommand.RunAsync(rest, Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false),
                "verify-proxy" => await RunAppAsync(VerifyProxyServer.Build(rest)).ConfigureAwait(false),
                "help" or "--help" or "-h" => PrintUsage(Console.Out, 0),
                _ => PrintUsage(Console.Error, 2),
            };
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync("Configuration error:").ConfigureAwait(false);
            foreach (var failure in ex.Failures)
            {
                await Console.Error.WriteLineAsync("  " + failure).ConfigureAwait(false);
            }

            return 2;
        }
    }

    private static async Task<int> ServeAsync(string[] args)
    {
        var app = GatewayHost.Build(args);
        await using (app.ConfigureAwait(false))
        {
            await app.RunAsync().ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<int> RunAppAsync(WebApplication app)
    {
        await using (app.ConfigureAwait(false))
        {
            await app.RunAsync().ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<int> PublishAsync(string[] args)
    {
        PublishCommandLine command;
        try
        {
            command = PublishCommandLine.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"publish: {ex.Message}").ConfigureAwait(false);
            return PrintUsage(Console.Error, 2);
        }

        try
        {
            var result = await new RepositoryPublisher(TimeProvider.System, command.Torrents).PublishAsync(command.Folder, command.ManifestPath, Console.Error, CancellationToken.None).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"Published {result.Files} files ({result.Bytes / 1048576.0:F1} MiB; {result.Hashed} hashed, {result.Reused} unchanged) and {result.Torrents} torrents ({result.TorrentsBuilt} built) to {Path.GetFullPath(command.ManifestPath)}").ConfigureAwait(false);
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"publish failed: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static int PrintUsage(TextWriter writer, int exitCode)
    {
        writer.WriteLine(Usage);
        return exitCode;
    }
}
