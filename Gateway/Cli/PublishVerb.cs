using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Gateway.Tools.Publish;

namespace Gateway.Cli;

/// <summary><c>publish</c>: scan a repository folder, write its manifest and torrents.</summary>
internal sealed class PublishVerb
{
    private static readonly TorrentPublishOptions Defaults = new();

    private readonly Argument<string> _folder = new("folder") { Description = "the repository folder to scan" };
    private readonly Option<string?> _out = new("--out") { Description = "the manifest to write (default <folder>/manifest.json)", HelpName = "FILE" };
    private readonly Option<string> _torrents = new("--torrents")
    {
        Description = "write v1 .torrent files",
        HelpName = "on|off",
        DefaultValueFactory = _ => "on",
    };

    private readonly Option<Uri?> _announce = new("--announce") { Description = "the tracker announce URL in every torrent", HelpName = "URL", CustomParser = ParseUri };
    private readonly Option<Uri?> _webSeed = new("--web-seed") { Description = "the origin's base URL, the BEP 19 web seed of every torrent", HelpName = "URL", CustomParser = ParseUri };
    private readonly Option<bool> _private = new("--private") { Description = "mark torrents private (BEP 27)" };
    private readonly Option<long?> _pieceLength = new("--piece-length") { Description = "fixed piece length, a power of two from 16K to 16M (default: by size)", HelpName = "BYTES", CustomParser = result => ParseBytes(result) };
    private readonly Option<string> _torrentDir = new("--torrent-dir") { Description = "the repository folder for .torrent files", HelpName = "DIR", DefaultValueFactory = _ => Defaults.Folder };
    private readonly Option<long> _largeFile = new("--torrent-large-file") { Description = "files above this get their own torrent", HelpName = "BYTES", DefaultValueFactory = _ => Defaults.LargeFileThreshold, CustomParser = result => ParseBytes(result) ?? 0 };
    private readonly Option<int> _batchDepth = new("--torrent-batch-depth") { Description = "batch small files per folder cut to this many segments", HelpName = "N", DefaultValueFactory = _ => Defaults.BatchDepth };
    private readonly Option<long> _batchBytes = new("--torrent-batch-bytes") { Description = "the most bytes in a batch of small files", HelpName = "BYTES", DefaultValueFactory = _ => Defaults.BatchMaxBytes, CustomParser = result => ParseBytes(result) ?? 0 };
    private readonly Option<Uri[]> _notify = new("--notify")
    {
        Description = "after writing, tell this gateway's release feed (http://gateway/_gateway/releases) to load the new manifest now; repeat for several gateways",
        HelpName = "URL",
        Arity = ArgumentArity.ZeroOrMore,
        CustomParser = result => [.. result.Tokens.Select(t => Uri.TryCreate(t.Value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : Invalid(result, t.Value))],
    };

    private readonly Option<int> _batchFiles = new("--torrent-batch-files") { Description = "the most files in a batch of small files", HelpName = "N", DefaultValueFactory = _ => Defaults.BatchMaxFiles };

    public PublishVerb()
    {
        Command.Arguments.Add(_folder);
        foreach (var option in (Option[])[_out, _torrents, _announce, _webSeed, _private, _pieceLength, _torrentDir, _largeFile, _batchDepth, _batchBytes, _batchFiles, _notify])
        {
            Command.Options.Add(option);
        }

        _torrents.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not ("on" or "off" or "true" or "false") and var value)
            {
                result.AddError($"--torrents '{value}' must be on or off.");
            }
        });
        Command.SetAction(RunAsync);
    }

    public Command Command { get; } = new(
        "publish",
        "Scan a repository folder and write its manifest (streamed SHA-256 of every file; unchanged files keep their hash) and v1 .torrent files with the origin as web seed (docs/manifest.md).");

    /// <summary>The parsed arguments; throws <see cref="ArgumentException"/> naming the option when the torrent settings do not fit together.</summary>
    public PublishArguments Read(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var folder = result.GetValue(_folder)!;
        var torrents = new TorrentPublishOptions
        {
            Enabled = result.GetValue(_torrents) is "on" or "true",
            Announce = result.GetValue(_announce),
            WebSeed = result.GetValue(_webSeed),
            Private = result.GetValue(_private),
            PieceLength = result.GetValue(_pieceLength) is { } piece ? (int)Math.Min(int.MaxValue, piece) : null,
            Folder = result.GetValue(_torrentDir)!.Trim('/'),
            LargeFileThreshold = result.GetValue(_largeFile),
            BatchDepth = result.GetValue(_batchDepth),
            BatchMaxBytes = result.GetValue(_batchBytes),
            BatchMaxFiles = result.GetValue(_batchFiles),
        };
        torrents.Validate();
        return new PublishArguments(folder, result.GetValue(_out) ?? Path.Combine(folder, "manifest.json"), torrents);
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var output = result.InvocationConfiguration.Output;
        var errors = result.InvocationConfiguration.Error;
        PublishArguments arguments;
        try
        {
            arguments = Read(result);
        }
        catch (ArgumentException ex)
        {
            await errors.WriteLineAsync($"publish: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            var published = await new RepositoryPublisher(TimeProvider.System, arguments.Torrents).PublishAsync(arguments.Folder, arguments.ManifestPath, errors, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Published {published.Files} files ({published.Bytes / 1048576.0:F1} MiB; {published.Hashed} hashed, {published.Reused} unchanged) and {published.Torrents} torrents ({published.TorrentsBuilt} built) to {Path.GetFullPath(arguments.ManifestPath)}").ConfigureAwait(false);
            await ReleaseNotifier.NotifyAsync(result.GetValue(_notify) ?? [], output, errors, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await errors.WriteLineAsync($"publish failed: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }

    private static Uri Invalid(ArgumentResult result, string value)
    {
        result.AddError($"--notify '{value}' is not an absolute http(s) URL (the gateway's release feed, e.g. http://repo.example.org/_gateway/releases).");
        return new Uri("http://invalid/");
    }

    private static Uri? ParseUri(ArgumentResult result)
    {
        var value = result.Tokens[0].Value;
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            return uri;
        }

        result.AddError($"{OptionName(result)} '{value}' is not an absolute URL.");
        return null;
    }

    /// <summary>A byte count: digits with an optional K, M or G suffix (powers of 1024).</summary>
    private static long? ParseBytes(ArgumentResult result)
    {
        var value = result.Tokens[0].Value;
        var multiplier = value.Length > 0 ? char.ToUpperInvariant(value[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L } : 1L;
        var digits = multiplier == 1 ? value : value[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > long.MaxValue / multiplier)
        {
            result.AddError($"{OptionName(result)} '{value}' must be a number of bytes, optionally with K, M or G.");
            return null;
        }

        return number * multiplier;
    }

    private static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : "value";
}
