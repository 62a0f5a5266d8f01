using Microsoft.Extensions.Options;

namespace Gateway.ClientProxy;

/// <summary>The verifying client proxy (<c>verify-proxy</c> subcommand, section <c>VerifyProxy</c>).</summary>
public sealed class VerifyProxyOptions
{
    public const string Section = "VerifyProxy";

    /// <summary>Where apt and curl reach the proxy (loopback by default: it runs beside the customer).</summary>
    public string Listen { get; set; } = "http://127.0.0.1:3142";

    /// <summary>The gateway's shared report key (<c>Verify:ReportKey</c>); empty: altered bytes are refused but not reported.</summary>
    public string ReportKey { get; set; } = string.Empty;

    /// <summary>Where bodies are spooled while they are verified (default: the system's temporary folder).</summary>
    public string? SpoolFolder { get; set; }

    /// <summary>How long a source may stay silent (no headers, or no body bytes) before the next one is tried.</summary>
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Files without piece hashes up to this size are verified whole in memory and then sent; larger ones are spooled
    /// to <see cref="SpoolFolder"/> while hashed. Files with piece hashes are streamed piece by piece whatever their size.
    /// </summary>
    public int MaxInMemoryBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Sources tried per download: the redirect target, then the Link alternates (the origin last).</summary>
    public int MaxSources { get; set; } = 5;
}

internal sealed class VerifyProxyOptionsValidator : IValidateOptions<VerifyProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, VerifyProxyOptions options)
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(options.Listen, UriKind.Absolute, out var listen) || listen.Scheme != Uri.UriSchemeHttp)
        {
            errors.Add($"VerifyProxy:Listen '{options.Listen}' must be an http:// URL such as http://127.0.0.1:3142.");
        }

        if (options.ReportKey.Length is > 0 and < 16)
        {
            errors.Add("VerifyProxy:ReportKey is too short: use the gateway's Verify:ReportKey (at least 16 characters).");
        }

        if (options.ActivityTimeout < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"VerifyProxy:ActivityTimeout {options.ActivityTimeout} is too short; use at least 00:00:00.1.");
        }

        if (options.MaxInMemoryBytes is < 0 or > 256 * 1024 * 1024)
        {
            errors.Add($"VerifyProxy:MaxInMemoryBytes {options.MaxInMemoryBytes} must be between 0 and 268435456 (256 MiB).");
        }

        if (options.MaxSources is < 1 or > 20)
        {
            errors.Add($"VerifyProxy:MaxSources {options.MaxSources} must be between 1 and 20.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
