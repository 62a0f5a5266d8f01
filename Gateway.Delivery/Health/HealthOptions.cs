using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Health;

/// <summary>Volunteer health checks (section <c>Health</c>): YARP's active probe and passive failure counting.</summary>
public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>Probe each volunteer every <see cref="Interval"/>.</summary>
    public bool ActiveEnabled { get; set; } = true;

    /// <summary>Path probed on each volunteer, relative to its base URL; any 2xx answer is healthy.</summary>
    public string Path { get; set; } = "/";

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed probes in a row before a volunteer is marked down.</summary>
    public int ConsecutiveFailures { get; set; } = 1;

    /// <summary>Count transport failures of real requests (proxy mode) and mark a volunteer down when too many fail.</summary>
    public bool PassiveEnabled { get; set; } = true;

    /// <summary>How long a volunteer marked down by passive checks stays out before it is tried again.</summary>
    public TimeSpan ReactivationPeriod { get; set; } = TimeSpan.FromSeconds(30);
}

internal sealed class HealthOptionsValidator : IValidateOptions<HealthOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthOptions options)
    {
        var errors = new List<string>();
        if (options.Interval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"Health:Interval {options.Interval} is too short; use at least 00:00:00.1.");
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > options.Interval)
        {
            errors.Add($"Health:Timeout {options.Timeout} must be positive and no longer than Health:Interval ({options.Interval}).");
        }

        if (options.ConsecutiveFailures is < 1 or > 100)
        {
            errors.Add($"Health:ConsecutiveFailures {options.ConsecutiveFailures} must be between 1 and 100.");
        }

        if (string.IsNullOrEmpty(options.Path) || options.Path.Contains("://", StringComparison.Ordinal))
        {
            errors.Add($"Health:Path '{options.Path}' must be a path on the volunteer, e.g. '/' or '/healthz'.");
        }

        if (options.ReactivationPeriod <= TimeSpan.Zero)
        {
            errors.Add($"Health:ReactivationPeriod {options.ReactivationPeriod} must be positive.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
