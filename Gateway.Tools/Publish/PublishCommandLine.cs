using System.Globalization;

namespace Gateway.Tools.Publish;

/// <summary>The arguments of <c>Gateway publish</c>, parsed and validated; errors name the option.</summary>
public sealed record PublishCommandLine(string Folder, string ManifestPath, TorrentPublishOptions Torrents)
{
    public const string Usage = """
          publish <repository folder> [options]                scan a repository, write its manifest and torrents
            --out FILE                 manifest path (default <folder>/manifest.json)
            --torrents on|off          write v1 .torrent files (default on)
            --announce URL             tracker announce URL in every torrent
            --web-seed URL             origin base URL, the BEP 19 web seed of every torrent
            --private                  mark torrents private (BEP 27)
            --piece-length BYTES       fixed piece length, power of two, 16K..16M (default: by size)
            --torrent-dir DIR          repository folder for .torrent files (default torrents)
            --torrent-large-file BYTES files above this get their own torrent (default 4M)
            --torrent-batch-depth N    batch small files per folder cut to N segments (default 2)
            --torrent-batch-bytes BYTES, --torrent-batch-files N   caps of a batch of small files (64M, 1000)
        """;

    /// <summary>Parses <c>publish</c>'s arguments (after the command name); throws <see cref="ArgumentException"/> with a message for the operator.</summary>
    public static PublishCommandLine Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? folder = null;
        string? manifest = null;
        var torrents = new TorrentPublishOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                folder = folder is null ? arg : throw new ArgumentException($"publish takes one repository folder; '{arg}' is a second one.");
                continue;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg : arg[..equals];
            string Value()
            {
                if (equals >= 0)
                {
                    return arg[(equals + 1)..];
                }

                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{name} needs a value.");
                }

                return args[++i];
            }

            torrents = name switch
            {
                "--out" => Keep(torrents, () => manifest = Value()),
                "--torrents" => torrents with { Enabled = Value() switch { "on" or "true" => true, "off" or "false" => false, var v => throw new ArgumentException($"--torrents '{v}' must be on or off.") } },
                "--announce" => torrents with { Announce = ParseUri(name, Value()) },
                "--web-seed" => torrents with { WebSeed = ParseUri(name, Value()) },
                "--private" => torrents with { Private = equals < 0 || Value() is "on" or "true" },
                "--piece-length" => torrents with { PieceLength = (int)Math.Min(int.MaxValue, ParseBytes(name, Value())) },
                "--torrent-dir" => torrents with { Folder = Value().Trim('/') },
                "--torrent-large-file" => torrents with { LargeFileThreshold = ParseBytes(name, Value()) },
                "--torrent-batch-bytes" => torrents with { BatchMaxBytes = ParseBytes(name, Value()) },
                "--torrent-batch-depth" => torrents with { BatchDepth = (int)Math.Min(int.MaxValue, ParseBytes(name, Value())) },
                "--torrent-batch-files" => torrents with { BatchMaxFiles = (int)Math.Min(int.MaxValue, ParseBytes(name, Value())) },
                _ => throw new ArgumentException($"Unknown publish option '{name}'."),
            };
        }

        if (folder is null)
        {
            throw new ArgumentException("publish needs the repository folder.");
        }

        torrents.Validate();
        return new PublishCommandLine(folder, manifest ?? Path.Combine(folder, "manifest.json"), torrents);
    }

    private static TorrentPublishOptions Keep(TorrentPublishOptions options, Action action)
    {
        action();
        return options;
    }

    private static Uri ParseUri(string name, string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : throw new ArgumentException($"{name} '{value}' is not an absolute URL.");

    /// <summary>A byte count: digits with an optional K, M or G suffix (powers of 1024).</summary>
    private static long ParseBytes(string name, string value)
    {
        var multiplier = value.Length > 0 ? char.ToUpperInvariant(value[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L } : 1L;
        var digits = multiplier == 1 ? value : value[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > long.MaxValue / multiplier)
        {
            throw new ArgumentException($"{name} '{value}' must be a number of bytes, optionally with K, M or G.");
        }

        return number * multiplier;
    }
}
