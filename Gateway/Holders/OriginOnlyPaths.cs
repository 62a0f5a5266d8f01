using Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Holders;

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
            if (WildcardMatches(pattern, name))
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

    private sealed class Rules(GatewayOptions options)
    {
        public string[] FileNames { get; } = [.. options.OriginOnlyFileNames];

        public HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Folders { get; } =
            new HashSet<string>(options.OriginOnlyFolders, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    }
}
