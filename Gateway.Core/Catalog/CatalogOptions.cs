using Microsoft.Extensions.Options;

namespace Gateway.Core.Catalog;

/// <summary>Where the manifest comes from (section <c>Catalog</c>).</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";

    /// <summary>A file path or an http(s) URL of <c>manifest.json</c>.</summary>
    public string Source { get; set; } = string.Empty;

    /// <summary>How often the source is checked for a new version.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(10);
}

internal sealed class CatalogOptionsValidator : IValidateOptions<CatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, CatalogOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Source))
        {
            return ValidateOptionsResult.Fail("Catalog:Source is required: the path or http(s) URL of the manifest.json that 'publish' wrote.");
        }

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
