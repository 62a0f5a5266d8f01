using System.CommandLine;
using Gateway.Core.Catalog;

namespace Gateway.Cli;

/// <summary><c>index</c>: write the binary catalog index of an existing manifest (publish writes it itself).</summary>
internal sealed class IndexVerb
{
    private readonly Argument<string> _manifest = new("manifest") { Description = "the manifest.json to index" };
    private readonly Option<string?> _out = new("--out") { Description = "the index to write (default: manifest.index beside it)", HelpName = "FILE" };

    public IndexVerb()
    {
        Command.Arguments.Add(_manifest);
        Command.Options.Add(_out);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; } = new("index", "Write the binary catalog index beside a manifest.json that was made without 'publish' (docs/manifest.md).");

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var manifest = result.GetValue(_manifest)!;
        var index = result.GetValue(_out) ?? CatalogIndexFile.PathFor(manifest);
        try
        {
            RepositoryCatalog catalog;
            await using (var stream = File.OpenRead(manifest))
            {
                catalog = await ManifestReader.LoadAsync(stream, "index", cancellationToken).ConfigureAwait(false);
            }

            await CatalogIndexFile.WriteAsync(catalog, manifest, index, cancellationToken).ConfigureAwait(false);
            await result.InvocationConfiguration.Output.WriteLineAsync($"Indexed {catalog.Count} files to {Path.GetFullPath(index)}").ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            await result.InvocationConfiguration.Error.WriteLineAsync($"index failed: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }
}
