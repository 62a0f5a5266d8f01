namespace Gateway.Delivery.Volunteers;

/// <summary>Checks a volunteer's Apache member settings (LoadFactor, LbSet, Status, Retry, Timeout, Route) with messages naming the key.</summary>
internal static class ApacheMemberOptionsValidator
{
    public static void Validate(VolunteerOptions v, string at, List<string> errors)
    {
        if (v.LoadFactor is { } factor)
        {
            if (double.IsNaN(factor) || factor < 1 || factor > 100)
            {
                errors.Add($"{at}:LoadFactor {factor} must be between 1 and 100 (Apache's loadfactor).");
            }

            if (v.Weight != 1)
            {
                errors.Add($"{at}: set LoadFactor or Weight, not both (LoadFactor is Apache's name for Weight).");
            }
        }

        if (v.LbSet is < 0 or > 99)
        {
            errors.Add($"{at}:LbSet {v.LbSet} must be between 0 and 99.");
        }

        if (!MemberStatusFlags.TryApply(v.Status, MemberStatus.None, out _, out var statusError))
        {
            errors.Add($"{at}:Status '{v.Status}': {statusError}.");
        }

        if (v.Retry < TimeSpan.Zero || v.Retry > TimeSpan.FromDays(1))
        {
            errors.Add($"{at}:Retry {v.Retry} must be between 00:00:00 and 1.00:00:00.");
        }

        if (v.Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            errors.Add($"{at}:Timeout {timeout} must be positive.");
        }

        if (v.Route is { Length: > 64 })
        {
            errors.Add($"{at}:Route must be at most 64 characters (Apache's limit).");
        }

        if (v.RouteRedirect is { Length: > 64 })
        {
            errors.Add($"{at}:RouteRedirect must be at most 64 characters (Apache's limit).");
        }
    }

    /// <summary>Apache keeps the load factor in hundredths; a plain Weight w is loadfactor w.</summary>
    public static int LbFactorOf(VolunteerOptions v) =>
        v.LoadFactor is { } factor ? (int)(factor * 100.0) : v.Weight * 100;
}
