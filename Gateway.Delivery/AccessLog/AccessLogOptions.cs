using Microsoft.Extensions.Options;

namespace Gateway.Delivery.AccessLog;

/// <summary>The Apache-style access log (section <c>AccessLog</c>); off by default.</summary>
public sealed class AccessLogOptions
{
    public const string Section = "AccessLog";

    /// <summary>Stands for standard output in <see cref="Path"/>.</summary>
    public const string StandardOutput = "-";

    public bool Enabled { get; set; }

    /// <summary>File the lines are appended to (opened shared, so logrotate's copytruncate works), or <c>-</c> for standard output.</summary>
    public string Path { get; set; } = StandardOutput;

    /// <summary>Lines held in memory while the writer catches up; beyond it lines are dropped and counted, never awaited by a request.</summary>
    public int QueueLength { get; set; } = 10_000;
}

internal sealed class AccessLogOptionsValidator : IValidateOptions<AccessLogOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessLogOptions options)
    {
        var errors = new List<string>();
        if (options.Enabled && string.IsNullOrWhiteSpace(options.Path))
        {
            errors.Add("AccessLog:Path is required when AccessLog:Enabled is true: a file path, or '-' for standard output.");
        }

        if (options.QueueLength is < 1 or > 1_000_000)
        {
            errors.Add($"AccessLog:QueueLength {options.QueueLength} must be between 1 and 1000000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
