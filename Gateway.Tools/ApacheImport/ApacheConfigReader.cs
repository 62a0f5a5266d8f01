using System.Text;
using Microsoft.Extensions.FileSystemGlobbing;

namespace Gateway.Tools.ApacheImport;

/// <summary>
/// Reads an httpd.conf into directives as Apache parses it: '#' comments, '\' line continuations,
/// quoted arguments, nested &lt;Section&gt; blocks, and <c>Include</c>/<c>IncludeOptional</c> (files,
/// directories and wildcards, relative to ServerRoot) expanded in place.
/// </summary>
public sealed class ApacheConfigReader
{
    // Apache refuses deeper include nesting too; it also stops a file that includes itself.
    private const int MaxIncludeDepth = 32;
    private const int MaxLines = 1_000_000;
    private const int MaxLineLength = 64 * 1024;

    private readonly List<ApacheDirective> _directives = [];
    private readonly List<ApacheDirective> _open = [];
    private string _serverRoot;
    private int _lines;

    private ApacheConfigReader(string serverRoot) => _serverRoot = serverRoot;

    /// <summary>Reads <paramref name="path"/> and everything it includes. ServerRoot defaults to the file's folder.</summary>
    public static IReadOnlyList<ApacheDirective> Read(string path, string? serverRoot = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var reader = new ApacheConfigReader(serverRoot is null ? Path.GetDirectoryName(full)! : Path.GetFullPath(serverRoot));
        if (!File.Exists(full))
        {
            throw new ApacheImportException($"{path}: no such file.");
        }

        reader.ReadFile(full, [], serverRoot is not null);
        if (reader._open.Count > 0)
        {
            var open = reader._open[^1];
            throw new ApacheImportException($"{open.Location}: <{open.Name.TrimStart('<')}> is never closed.");
        }

        return reader._directives;
    }

    private void ReadFile(string file, List<string> includeChain, bool serverRootFixed)
    {
        if (includeChain.Contains(file, StringComparer.Ordinal))
        {
            throw new ApacheImportException($"{file}: includes itself (through {string.Join(" -> ", includeChain)}).");
        }

        if (includeChain.Count >= MaxIncludeDepth)
        {
            throw new ApacheImportException($"{file}: Include nesting deeper than {MaxIncludeDepth}.");
        }

        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ApacheImportException($"{file}: cannot be read ({ex.Message}).");
        }

        var chain = new List<string>(includeChain) { file };
        var logical = new StringBuilder();
        var startLine = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (++_lines > MaxLines)
            {
                throw new ApacheImportException($"{file}:{i + 1}: more than {MaxLines} lines in all; refusing to go on.");
            }

            var line = lines[i];
            if (line.Length > MaxLineLength || logical.Length > MaxLineLength)
            {
                throw new ApacheImportException($"{file}:{i + 1}: line longer than {MaxLineLength} characters.");
            }

            if (line.Contains('\0', StringComparison.Ordinal))
            {
                throw new ApacheImportException($"{file}:{i + 1}: contains a NUL byte; not a text configuration file.");
            }

            if (logical.Length == 0)
            {
                startLine = i + 1;
            }

            var trimmedEnd = line.TrimEnd();
            if (trimmedEnd.EndsWith('\\'))
            {
                logical.Append(trimmedEnd, 0, trimmedEnd.Length - 1).Append(' ');
                continue;
            }

            logical.Append(line);
            var text = logical.ToString().Trim();
            logical.Clear();
            if (text.Length == 0 || text[0] == '#')
            {
                continue;
            }

            Directive(text, new ConfigLocation(file, startLine), chain, ref serverRootFixed);
        }
    }

    private void Directive(string text, ConfigLocation at, List<string> chain, ref bool serverRootFixed)
    {
        var args = ApacheArgumentTokenizer.Split(text, at);
        var name = args[0];
        if (name.StartsWith("</", StringComparison.Ordinal))
        {
            var closing = name.TrimEnd('>')[2..];
            if (_open.Count == 0 || !string.Equals(_open[^1].Name[1..], closing, StringComparison.OrdinalIgnoreCase))
            {
                var expected = _open.Count == 0 ? "no section is open" : $"expected </{_open[^1].Name[1..]}> for {_open[^1].Location}";
                throw new ApacheImportException($"{at}: </{closing}> does not close a section ({expected}).");
            }

            _open.RemoveAt(_open.Count - 1);
            return;
        }

        if (name.StartsWith('<'))
        {
            // "<Proxy balancer://x>" or "<Proxy "balancer://x">": the last argument carries the '>'.
            var last = args[^1];
            if (!last.EndsWith('>'))
            {
                throw new ApacheImportException($"{at}: section {name} is missing its closing '>'.");
            }

            var sectionArgs = args.Skip(1).Select(a => a).ToList();
            if (args.Count == 1)
            {
                name = name.TrimEnd('>');
            }
            else
            {
                sectionArgs[^1] = last[..^1];
                sectionArgs.RemoveAll(a => a.Length == 0);
            }

            var section = new ApacheDirective(name, sectionArgs, at, [.. _open]);
            _directives.Add(section);
            _open.Add(section);
            return;
        }

        var directive = new ApacheDirective(name, args.Skip(1).ToArray(), at, [.. _open]);
        if (directive.Is("ServerRoot") && directive.Args.Count == 1)
        {
            if (!serverRootFixed)
            {
                _serverRoot = Path.GetFullPath(directive.Args[0]);
            }

            _directives.Add(directive);
            return;
        }

        if (directive.Is("Include") || directive.Is("IncludeOptional"))
        {
            if (directive.Args.Count != 1)
            {
                throw new ApacheImportException($"{at}: {name} takes one path.");
            }

            _directives.Add(directive);
            var files = Expand(directive.Args[0], optional: directive.Is("IncludeOptional"), at);
            foreach (var file in files)
            {
                ReadFile(file, chain, serverRootFixed);
            }

            return;
        }

        _directives.Add(directive);
    }

    /// <summary>Apache's include expansion: a file, every file of a directory, or a wildcard pattern, in name order.</summary>
    private List<string> Expand(string pattern, bool optional, ConfigLocation at)
    {
        var full = Path.IsPathRooted(pattern) ? pattern : Path.Combine(_serverRoot, pattern);
        if (full.IndexOfAny(['*', '?', '[']) < 0)
        {
            if (File.Exists(full))
            {
                return [Path.GetFullPath(full)];
            }

            if (Directory.Exists(full))
            {
                return [.. Directory.GetFiles(full).Order(StringComparer.Ordinal)];
            }

            return optional ? [] : throw new ApacheImportException($"{at}: Include '{pattern}' matches no file (looked for {full}).");
        }

        // The fixed folder before the first wildcard, then the pattern below it.
        var parts = full.Split('/');
        var fixedCount = Array.FindIndex(parts, p => p.IndexOfAny(['*', '?', '[']) >= 0);
        var root = string.Join('/', parts[..fixedCount]);
        var rest = string.Join('/', parts[fixedCount..]);
        var matches = new List<string>();
        if (Directory.Exists(root))
        {
            var matcher = new Matcher(StringComparison.Ordinal);
            matcher.AddInclude(rest);
            matches.AddRange(matcher.GetResultsInFullPath(root).Order(StringComparer.Ordinal));
        }

        return matches.Count > 0 || optional
            ? matches
            : throw new ApacheImportException($"{at}: Include '{pattern}' matches no file (Apache refuses this; use IncludeOptional to allow it).");
    }
}
