using System.CommandLine;

namespace Gateway.Cli;

/// <summary>
/// "Did you mean …" for a token System.CommandLine did not match itself: the hosting commands take any
/// setting, so their unknown options reach us as settings of the wrong shape.
/// </summary>
internal static class Suggestions
{
    /// <summary>A sentence naming the command's options and subcommands close to <paramref name="token"/>, or nothing.</summary>
    public static string For(string token, Command command)
    {
        var name = token.Split('=', 2)[0];
        var close = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name))
            .Concat(command.Subcommands.Select(c => c.Name))
            .Append("--help")
            .Distinct(StringComparer.Ordinal)
            .Select(candidate => (Candidate: candidate, Distance: Distance(name, candidate)))
            .Where(c => c.Distance <= Math.Max(2, c.Candidate.Length / 3))
            .OrderBy(c => c.Distance)
            .Select(c => $"'{c.Candidate}'")
            .Take(3)
            .ToList();
        return close.Count == 0 ? string.Empty : $" Did you mean {string.Join(" or ", close)}?";
    }

    /// <summary>Levenshtein distance, ignoring case.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToUpperInvariant(a[i - 1]) == char.ToUpperInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
