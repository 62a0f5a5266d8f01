using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Holders;

/// <summary>
/// Repository metadata (Release, Packages, repodata, signatures) is never sent to a volunteer: apt builds
/// later index URLs from a redirected Release's folder, and metadata must be fresh and consistent.
/// </summary>
public sealed class OriginOnlyPaths : IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile Rules _rules;

    public OriginOnlyPaths(IOptionsMonitor<GatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _rules = new Rules(options.CurrentValue);
        _subscription = options.OnChange(o => _rules = new Rules(o));
    }

    public bool Matches(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var rules = _rules;
        var slash = path.LastIndexOf('/');
        var name = slash < 0 ? path.AsSpan() : path.AsSpan(slash + 1);
        foreach (var pattern in rules.FileNames)
        {
            if (pattern.Matches(name))
            {
                return true;
            }
        }

        if (slash > 0)
        {
            var folders = path.AsSpan(0, slash);
            foreach (var folder in folders.Split('/'))
            {
                if (rules.Folders.Contains(folders[folder]))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public void Dispose() => _subscription?.Dispose();

    /// <summary>'*' matches any run of characters; everything else matches itself (ordinal).</summary>
    internal static bool WildcardMatches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        var star = pattern.IndexOf('*');
        if (star < 0)
        {
            return pattern.SequenceEqual(text);
        }

        if (!text.StartsWith(pattern[..star]))
        {
            return false;
        }

        var rest = pattern[(star + 1)..];
        var remaining = text[star..];
        for (var i = 0; i <= remaining.Length; i++)
        {
            if (WildcardMatches(rest, remaining[i..]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A file-name pattern, split once at its first '*' so the common shapes need no backtracking.</summary>
    private sealed class NamePattern(string pattern)
    {
        private readonly string _prefix = pattern.Contains('*', StringComparison.Ordinal) ? pattern[..pattern.IndexOf('*', StringComparison.Ordinal)] : pattern;
        private readonly string? _rest = pattern.Contains('*', StringComparison.Ordinal) ? pattern[(pattern.IndexOf('*', StringComparison.Ordinal) + 1)..] : null;

        public bool Matches(ReadOnlySpan<char> name) => _rest switch
        {
            null => name.SequenceEqual(_prefix),
            "" => name.StartsWith(_prefix),
            _ when !_rest.Contains('*', StringComparison.Ordinal) => name.Length >= _prefix.Length + _rest.Length && name.StartsWith(_prefix) && name.EndsWith(_rest),
            _ => name.StartsWith(_prefix) && WildcardMatches(_rest.Insert(0, "*"), name[_prefix.Length..]),
        };
    }

    private sealed class Rules(GatewayOptions options)
    {
        public NamePattern[] FileNames { get; } = [.. options.OriginOnlyFileNames.Select(p => new NamePattern(p))];

        public HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Folders { get; } =
            new HashSet<string>(options.OriginOnlyFolders, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    }
}
