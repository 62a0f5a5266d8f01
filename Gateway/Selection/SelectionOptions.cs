using Microsoft.Extensions.Options;

namespace Gateway.Selection;

/// <summary>How a volunteer is chosen among the holders (section <c>Selection</c>).</summary>
public sealed class SelectionOptions
{
    public const string Section = "Selection";

    /// <summary>The cluster's load-balancing policy by name (<see cref="FeedbackPowerOfTwoPolicy.PolicyName"/> by default).</summary>
    public string Policy { get; set; } = FeedbackPowerOfTwoPolicy.PolicyName;

    /// <summary>Seed for the policy's random choices; set it to make a run repeatable (tests, experiments).</summary>
    public int? Seed { get; set; }

    /// <summary>A load report older than this is unknown, not zero.</summary>
    public TimeSpan FeedbackMaxAge { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Redirects this gateway made count toward a volunteer's load for at most this long (or until its next report).</summary>
    public TimeSpan DispatchMemory { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many customer transfers a fully used BitTorrent link counts as (sync load in the estimate).</summary>
    public double SyncLoadWeight { get; set; } = 4;
}

internal sealed class SelectionOptionsValidator : IValidateOptions<SelectionOptions>
{
    public ValidateOptionsResult Validate(string? name, SelectionOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Policy))
        {
            errors.Add("Selection:Policy must name a load-balancing policy, e.g. 'FeedbackPowerOfTwo', 'PowerOfTwoChoices', 'RoundRobin', 'LeastRequests', 'Random'.");
        }

        if (options.FeedbackMaxAge <= TimeSpan.Zero)
        {
            errors.Add($"Selection:FeedbackMaxAge {options.FeedbackMaxAge} must be positive.");
        }

        if (options.DispatchMemory < TimeSpan.FromSeconds(1) || options.DispatchMemory > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Selection:DispatchMemory {options.DispatchMemory} must be between 00:00:01 and 00:10:00.");
        }

        if (options.SyncLoadWeight is < 0 or > 1000 || double.IsNaN(options.SyncLoadWeight))
        {
            errors.Add($"Selection:SyncLoadWeight {options.SyncLoadWeight} must be between 0 and 1000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
