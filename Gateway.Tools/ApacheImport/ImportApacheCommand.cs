using System.Text.Json;

namespace Gateway.Tools.ApacheImport;

/// <summary>
/// <c>import-apache</c>: reads an httpd.conf (with its includes), writes the equivalent appsettings JSON
/// to <c>--out FILE</c> or stdout, and lists on stderr, with file:line, everything not carried over.
/// Exit codes: 0 imported, 2 a configuration it cannot import.
/// </summary>
public static class ImportApacheCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Imports the request's httpd.conf; the command line is parsed by the executable's CLI.</summary>
    public static async Task<int> RunAsync(ImportApacheRequest request, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        var (conf, outFile, balancer, serverRoot) = request;
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

        await errors.WriteLineAsync("Runs as it is: Gateway serve --config FILE. The volunteer features (Catalog:Source with Origin:Url, the tracker, verification) are optional; see docs/apache-compatibility.md.").ConfigureAwait(false);
        return 0;
    }
}
