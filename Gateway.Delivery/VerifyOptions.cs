using Microsoft.Extensions.Options;

namespace Gateway.Delivery;

/// <summary>What the gateway verifies and tells customers about volunteers' bytes (section <c>Verify</c>).</summary>
public sealed class VerifyOptions
{
    public const string Section = "Verify";

    /// <summary>Proxy mode forwards a published file only after verifying it (whole, or chunk by chunk). Off: bytes stream through unverified.</summary>
    public bool Proxy { get; set; } = true;

    /// <summary>
    /// Files without chunk hashes in the catalog are buffered and verified whole up to this size; larger ones
    /// are served by the origin in proxy mode (nothing unverified is forwarded). Keep it at publish's chunk size.
    /// </summary>
    public int MaxWholeFileBytes { get; set; } = 1 << 20;

    /// <summary>Redirects carry RFC 6249 <c>Link</c> headers: the other healthy holders and the origin, and the metalink.</summary>
    public bool LinkHeaders { get; set; } = true;

    /// <summary>Shared secret (at least 16 characters) with which verifying client proxies sign their reports; empty refuses reports.</summary>
    public string ReportKey { get; set; } = string.Empty;

    /// <summary>A report older than this (by its own timestamp) is refused: a captured report cannot be replayed later.</summary>
    public TimeSpan ReportMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Where the quarantine is kept across restarts (JSON); empty: in memory only, a restart clears it.</summary>
    public string QuarantineFile { get; set; } = string.Empty;

    /// <summary>Bearer token (at least 16 characters) for the quarantine admin endpoints; empty disables them.</summary>
    public string AdminToken { get; set; } = string.Empty;

    /// <summary>With <c>Store:Kind=Redis</c>: how often the quarantine shared through Redis is written and read (every gateway bans a tamperer within it).</summary>
    public TimeSpan QuarantineSyncInterval { get; set; } = TimeSpan.FromSeconds(1);
}

internal sealed class VerifyOptionsValidator : IValidateOptions<VerifyOptions>
{
    public ValidateOptionsResult Validate(string? name, VerifyOptions options)
    {
        var errors = new List<string>();
        if (options.MaxWholeFileBytes is < 1024 or > 64 << 20)
        {
            errors.Add($"Verify:MaxWholeFileBytes {options.MaxWholeFileBytes} must be between 1024 and 67108864 (64 MiB).");
        }

        if (options.ReportKey.Length is > 0 and < 16)
        {
            errors.Add("Verify:ReportKey is too short: use at least 16 characters (or leave it empty to refuse reports).");
        }

        if (options.AdminToken.Length is > 0 and < 16)
        {
            errors.Add("Verify:AdminToken is too short: use at least 16 characters (or leave it empty to disable the admin endpoints).");
        }

        if (options.QuarantineSyncInterval < TimeSpan.FromMilliseconds(50) || options.QuarantineSyncInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Verify:QuarantineSyncInterval {options.QuarantineSyncInterval} must be between 00:00:00.05 and 00:10:00.");
        }

        if (options.ReportMaxAge <= TimeSpan.Zero)
        {
            errors.Add($"Verify:ReportMaxAge {options.ReportMaxAge} must be positive.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
