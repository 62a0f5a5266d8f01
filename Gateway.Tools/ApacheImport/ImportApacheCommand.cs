using System.Text.Json;

namespace Gateway.Tools.ApacheImport;

/// <summary>
/// <c>import-apache</c>: reads an httpd.conf (with its includes), writes the equivalent appsettings JSON
/// to <c>--out FILE</c> or stdout, and lists on stderr, with file:line, everything not carried over.
/// Exit codes: 0 imported, 2 bad usage or a configuration it cannot import.
/// </summary>
public static class ImportApacheCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        string? conf = null, outFile = null, balancer = null, serverRoot = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--out" when value is not null:
                    outFile = value;
                    i++;
                    break;
                case "--balancer" when value is not null:
                    balancer = value;
                    i++;
                    break;
                case "--server-root" when value is not null:
                    serverRoot = value;
                    i++;
                    break;
                default:
                    if (args[i].StartsWith('-') || conf is not null)
                    {
                        await errors.WriteLineAsync($"import-apache: unexpected argument '{args[i]}'.\nUsage: import-apache <httpd.conf> [--out FILE] [--balancer NAME] [--server-root DIR]").ConfigureAwait(false);
                        return 2;
                    }

                    conf = args[i];
                    break;
            }
        }

        if (conf is null)
        {
            await errors.WriteLineAsync("Usage: import-apache <httpd.conf> [--out FILE] [--balancer NAME] [--server-root DIR]").ConfigureAwait(false);
            return 2;
        }

        ImportResult result;
        try
        {
            result = ApacheBalancerImporter.Import(ApacheConfigReader.Read(conf, serverRoot), balancer);
        }
        catch (ApacheImportException ex)
        {
            await errors.WriteLineAsync($"import-apache: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        var json = result.Settings.ToJsonString(Indented) + Environment.NewLine;
        if (outFile is null)
        {
            await output.WriteAsync(json).ConfigureAwait(false);
        }
        else
        {
            await File.WriteAllTextAsync(outFile, json, cancellationToken).ConfigureAwait(false);
        }

        await errors.WriteLineAsync($"import-apache: imported {result.Balancer} ({((System.Text.Json.Nodes.JsonArray)result.Settings["Volunteers"]!).Count} members); {result.NotCarried.Count} directives or parameters not carried over:").ConfigureAwait(false);
        foreach (var note in result.NotCarried)
        {
            await errors.WriteLineAsync("  " + note).ConfigureAwait(false);
        }

        await errors.WriteLineAsync("Add Origin:Url and Catalog:Source (not part of an Apache balancer) before serving.").ConfigureAwait(false);
        return 0;
    }
}
