using Microsoft.Extensions.Options;

namespace Gateway.Core.Catalog;

/// <summary>Where the manifest comes from (section <c>Catalog</c>).</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";

    /// <summary>
    /// A file path or an http(s) URL of <c>manifest.json</c>. Empty: no catalog; the gateway balances every path among
    /// its volunteers as an Apache balancer does (each counts as holding everything).
    /// </summary>
    public string Source { get; set; } = string.Empty;

    /// <summary>True when a manifest is configured (<see cref="Source"/> is set).</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Source);

    /// <summary>How often the source is checked for a new version.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(10);
}

internal sealed class CatalogOptionsValidator : IValidateOptions<CatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, CatalogOptions options)
    {
        if (options.Source.Contains("://", StringComparison.Ordinal)
            && !(Uri.TryCreate(options.Source, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            return ValidateOptionsResult.Fail($"Catalog:Source '{options.Source}' is a URL but not an absolute http or https one.");
        }

        if (options.ReloadInterval < TimeSpan.FromMilliseconds(100))
        {
            return ValidateOptionsResult.Fail($"Catalog:ReloadInterval {options.ReloadInterval} is too short; use at least 00:00:00.1.");
        }

        return ValidateOptionsResult.Success;
    }
}
