using Microsoft.Extensions.Options;

namespace Gateway.Proxy;

/// <summary>Proxy mode (section <c>Proxy</c>).</summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary>Volunteers tried per request before the origin (1 = no failover between volunteers).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How long a volunteer may stay silent (no headers, or no body bytes) before the attempt counts as failed.</summary>
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

internal sealed class ProxyOptionsValidator : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions options)
    {
        var errors = new List<string>();
        if (options.MaxAttempts is < 1 or > 10)
        {
            errors.Add($"Proxy:MaxAttempts {options.MaxAttempts} must be between 1 and 10.");
        }

        if (options.ActivityTimeout < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"Proxy:ActivityTimeout {options.ActivityTimeout} is too short; use at least 00:00:00.1.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
