namespace Gateway.Delivery.Volunteers;

/// <summary>Apache's worker status flags (the letters of <c>status=+H</c>), as far as they steer selection.</summary>
[Flags]
public enum MemberStatus
{
    None = 0,

    /// <summary><c>I</c>: errors never put the member in error state.</summary>
    IgnoreErrors = 1 << 0,

    /// <summary><c>N</c>: takes no new requests; its work goes to hot spares.</summary>
    Drain = 1 << 1,

    /// <summary><c>D</c>: takes no requests.</summary>
    Disabled = 1 << 2,

    /// <summary><c>S</c>: stopped by an administrator; never retried.</summary>
    Stopped = 1 << 3,

    /// <summary><c>E</c>: failed recently; tried again once its <c>retry</c> interval has passed.</summary>
    InError = 1 << 4,

    /// <summary><c>H</c>: hot standby, used only when no other member of its lbset is usable.</summary>
    HotStandby = 1 << 5,

    /// <summary><c>R</c>: hot spare, replaces an unusable member of its lbset one for one.</summary>
    HotSpare = 1 << 6,
}

/// <summary>Reads and writes Apache's status strings (<c>+H</c>, <c>-D+N</c>, <c>D</c>) for <see cref="MemberStatus"/>.</summary>
public static class MemberStatusFlags
{
    /// <summary>Flags that make a member unusable (Apache's not-usable bitmap, without the ones we have no equivalent for).</summary>
    public const MemberStatus NotUsable = MemberStatus.Disabled | MemberStatus.Stopped | MemberStatus.InError;

    private const string Letters = "INDSEHR";

    private static readonly (MemberStatus Flag, string Label)[] Labels =
    [
        (MemberStatus.Disabled, "Dis"), (MemberStatus.Stopped, "Stop"), (MemberStatus.InError, "Err"), (MemberStatus.Drain, "Drn"),
        (MemberStatus.HotStandby, "Stby"), (MemberStatus.HotSpare, "Spar"), (MemberStatus.IgnoreErrors, "Ign"),
    ];

    /// <summary>
    /// Applies a status string to <paramref name="status"/> the way Apache does: '+' sets, '-' clears, a
    /// letter without a sign sets. Returns false with the offending character when a letter is unknown.
    /// </summary>
    public static bool TryApply(string? text, MemberStatus status, out MemberStatus result, out string? error)
    {
        result = status;
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        var set = true;
        foreach (var c in text)
        {
            switch (c)
            {
                case '+':
                    set = true;
                    continue;
                case '-':
                    set = false;
                    continue;
            }

            var flag = FromLetter(char.ToUpperInvariant(c));
            if (flag is null)
            {
                error = $"unknown status flag '{c}' (allowed: {Letters}, with '+' to set and '-' to clear)";
                return false;
            }

            result = set ? result | flag.Value : result & ~flag.Value;
        }

        return true;
    }

    /// <summary>The flags as Apache prints them on balancer-manager: "Init Ok", or the set flags, e.g. "Init Dis Drn".</summary>
    public static string Describe(MemberStatus status)
    {
        var parts = new List<string>(4) { "Init" };
        foreach (var (flag, label) in Labels)
        {
            if ((status & flag) != 0)
            {
                parts.Add(label);
            }
        }

        if ((status & NotUsable) == 0)
        {
            parts.Add("Ok");
        }

        return string.Join(' ', parts);
    }

    /// <summary>The set flags as a status string Apache accepts, e.g. "+H+N" ("" for none).</summary>
    public static string Format(MemberStatus status)
    {
        var text = new System.Text.StringBuilder(8);
        foreach (var letter in Letters)
        {
            if (status.HasFlag(FromLetter(letter)!.Value))
            {
                text.Append('+').Append(letter);
            }
        }

        return text.ToString();
    }

    private static MemberStatus? FromLetter(char letter) => letter switch
    {
        'I' => MemberStatus.IgnoreErrors,
        'N' => MemberStatus.Drain,
        'D' => MemberStatus.Disabled,
        'S' => MemberStatus.Stopped,
        'E' => MemberStatus.InError,
        'H' => MemberStatus.HotStandby,
        'R' => MemberStatus.HotSpare,
        _ => null,
    };
}
