using Microsoft.Extensions.Options;

namespace Gateway.Delivery;

/// <summary>What a member's error answer or failure does to the request in proxy mode.</summary>
public enum ErrorSemantics
{
    /// <summary>
    /// The volunteer design: a 5xx (or a 404 for a file the volunteer should hold) is held back and the next holder,
    /// then the origin, is tried; every failure before the first byte fails over.
    /// </summary>
    Failover,

    /// <summary>
    /// httpd 2.4's mod_proxy: a member's answer, 5xx included, reaches the client (failonstatus only puts the member in
    /// error); only a failed connection fails over (up to MaxAttempts tries), then 503; a connection that closes
    /// before any answer, or a silence past the timeout, gives 502; never the origin (docs/apache-compatibility.md).
    /// </summary>
    Apache,
}

/// <summary>Proxy mode (section <c>Proxy</c>).</summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary>Volunteers tried per request before the origin (1 = no failover between volunteers).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How members' errors are answered: <see cref="ErrorSemantics.Failover"/> (default) or as Apache does.</summary>
    public ErrorSemantics ErrorSemantics { get; set; } = ErrorSemantics.Failover;

    /// <summary>How long a volunteer may stay silent (no headers, or no body bytes) before the attempt counts as failed.</summary>
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A PEM file of CA (or self-signed) certificates trusted for https volunteers, besides the system's trust store;
    /// read at start. The host name must still match. Empty: the system's trust store only.
    /// </summary>
    public string? VolunteerCaFile { get; set; }

    /// <summary>SHA-256 fingerprints (hex, colons allowed) of volunteer certificates trusted as they are (pinned); the host name must still match.</summary>
    public IList<string> VolunteerCertificateThumbprints { get; } = [];

    /// <summary>A certificate fingerprint as compared: hex digits only, lower case (accepts <c>AB:CD…</c>, spaces and either case).</summary>
    public static string NormalizeThumbprint(string thumbprint) =>
        new([.. (thumbprint ?? string.Empty).Where(char.IsAsciiHexDigit).Select(char.ToLowerInvariant)]);
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

        if (!string.IsNullOrEmpty(options.VolunteerCaFile))
        {
            var certificates = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            try
            {
                certificates.ImportFromPemFile(options.VolunteerCaFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                errors.Add($"Proxy:VolunteerCaFile '{options.VolunteerCaFile}' cannot be read: {ex.Message}");
            }

            if (certificates.Count == 0 && errors.Count == 0)
            {
                errors.Add($"Proxy:VolunteerCaFile '{options.VolunteerCaFile}' holds no PEM certificate.");
            }
        }

        foreach (var thumbprint in options.VolunteerCertificateThumbprints)
        {
            if (ProxyOptions.NormalizeThumbprint(thumbprint).Length != 64)
            {
                errors.Add($"Proxy:VolunteerCertificateThumbprints '{thumbprint}' is not a SHA-256 fingerprint (64 hex digits).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
