namespace Gateway.Tools.ApacheImport;

/// <summary>Where a line of an Apache configuration came from, printed as <c>file:line</c>.</summary>
public readonly record struct ConfigLocation(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>
/// One directive of an Apache configuration, with the sections it sits in (outermost first), e.g.
/// <c>BalancerMember</c> inside <c>&lt;Proxy "balancer://app"&gt;</c>. Section openers are directives too,
/// named with their '&lt;' (<c>&lt;Proxy</c>).
/// </summary>
public sealed record ApacheDirective(string Name, IReadOnlyList<string> Args, ConfigLocation Location, IReadOnlyList<ApacheDirective> Sections)
{
    public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);

    /// <summary>The innermost enclosing section, or null at top level.</summary>
    public ApacheDirective? Section => Sections.Count == 0 ? null : Sections[^1];
}

/// <summary>An Apache configuration the importer cannot read or make sense of; the message names file:line.</summary>
public sealed class ApacheImportException(string message) : Exception(message);
