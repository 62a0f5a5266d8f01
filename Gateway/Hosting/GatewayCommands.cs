using Gateway.ClientProxy;
using Gateway.Demo;
using Gateway.Publish;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>The one executable's subcommands: serve, publish, demo.</summary>
public static class GatewayCommands
{
    private const string Usage = """
        Usage: Gateway <command> [options]

          serve   [--config FILE] [--Section:Key=value ...]   run the gateway (the default command)
          publish <repository folder> [--out FILE]           scan a repository and write its manifest
                                                             (default FILE: <folder>/manifest.json)
          demo    [--port 8080] [--data FOLDER]              sample repository, origin, 3 volunteers and
                                                             the gateway on http://127.0.0.1:8080
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
                "demo" => await DemoCommand.RunAsync(rest, Console.Out, CancellationToken.None).ConfigureAwait(false),
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
        var folder = args.FirstOrDefault(a => !a.StartsWith('-'));
        if (folder is null)
        {
            return PrintUsage(Console.Error, 2);
        }

        var outIndex = Array.IndexOf(args, "--out");
        var manifest = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : Path.Combine(folder, "manifest.json");
        try
        {
            var result = await new RepositoryPublisher(TimeProvider.System).PublishAsync(folder, manifest, Console.Error, CancellationToken.None).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"Published {result.Files} files ({result.Bytes / 1048576.0:F1} MiB; {result.Hashed} hashed, {result.Reused} unchanged) to {Path.GetFullPath(manifest)}").ConfigureAwait(false);
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
