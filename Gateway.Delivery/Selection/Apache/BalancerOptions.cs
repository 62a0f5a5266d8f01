using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// Balancer-wide settings of Apache's lbmethods (section <c>Balancer</c>). Apache's <c>lbmethod</c> is
/// <c>Selection:Policy</c> and <c>maxattempts</c>/<c>nofailover</c> are <c>Proxy:MaxAttempts</c>: one
/// setting per concept.
/// </summary>
public sealed class BalancerOptions
{
    public const string Section = "Balancer";

    /// <summary>Apache's <c>failonstatus</c>: answers with these statuses put the member in error (as a connect failure does).</summary>
    public List<int> FailOnStatus { get; set; } = [];

    /// <summary>Apache's <c>failontimeout</c>: a member that times out is put in error.</summary>
    public bool FailOnTimeout { get; set; }

    /// <summary>Apache's <c>forcerecovery</c>: when every member is in error, put them all back at once.</summary>
    public bool ForceRecovery { get; set; } = true;

    /// <summary>
    /// Apache's <c>stickysession</c>: the cookie (and URL parameter) naming a session's member, <c>NAME</c> or
    /// <c>COOKIE|URLPARAM</c>. The value's part after <see cref="StickySessionSeparator"/> is matched against member
    /// routes, and a usable routed member is chosen before the lbmethod. Empty (default): off.
    /// </summary>
    public string? StickySession { get; set; }

    /// <summary>Apache's <c>stickysessionsep</c>: the route follows the first of this character in the session value.</summary>
    public char StickySessionSeparator { get; set; } = '.';

    /// <summary>Apache's <c>scolonpathdelim</c>: a ';' also ends the URL parameter's value.</summary>
    public bool ScolonPathDelim { get; set; }

    /// <summary>Apache's <c>nofailover</c>: a request routed to a member that cannot serve is refused (503), not balanced elsewhere.</summary>
    public bool NoFailover { get; set; }

    /// <summary>heartbeat: a volunteer's heartbeat older than this is ignored (Apache: 10 seconds).</summary>
    public TimeSpan HeartbeatMaxAge { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// heartbeat from tracker feedback: a volunteer with no fresh heartbeat but fresh load feedback counts
    /// as having this many slots per unit of load factor, less its active transfers. 0 (default): off.
    /// </summary>
    public int FeedbackSlots { get; set; }
}

internal sealed class BalancerOptionsValidator : IValidateOptions<BalancerOptions>
{
    public ValidateOptionsResult Validate(string? name, BalancerOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.FailOnStatus.Count; i++)
        {
            if (options.FailOnStatus[i] is < 100 or > 599)
            {
                errors.Add($"Balancer:FailOnStatus:{i} {options.FailOnStatus[i]} must be an HTTP status between 100 and 599.");
            }
        }

        if (options.StickySession is { Length: > 0 } sticky && (sticky.Split('|') is not { Length: 1 or 2 } names || names.Any(n => n.Length == 0 || n.Any(c => c is ';' or ',' or '=' or '&' or '?' || char.IsWhiteSpace(c)))))
        {
            errors.Add($"Balancer:StickySession '{sticky}' must be a cookie name, or COOKIE|URLPARAM, without ; , = & ? or spaces.");
        }

        if (options.StickySessionSeparator is '\0' || char.IsWhiteSpace(options.StickySessionSeparator))
        {
            errors.Add("Balancer:StickySessionSeparator must be one visible character (Apache's default is '.').");
        }

        if (options.HeartbeatMaxAge <= TimeSpan.Zero)
        {
            errors.Add($"Balancer:HeartbeatMaxAge {options.HeartbeatMaxAge} must be positive.");
        }

        if (options.FeedbackSlots is < 0 or > 100_000)
        {
            errors.Add($"Balancer:FeedbackSlots {options.FeedbackSlots} must be between 0 (off) and 100000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
