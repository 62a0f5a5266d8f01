using Gateway.Core.Catalog;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery;

/// <summary>The central repository server: the fallback and the source of truth (section <c>Origin</c>).</summary>
public sealed class OriginOptions
{
    public const string Section = "Origin";

    /// <summary>
    /// Base URL of the origin, e.g. <c>http://origin.internal/debian/</c>. Required with a catalog (<c>Catalog:Source</c>);
    /// without one it is optional: when set, repository metadata and non-GET requests go to it, and a request no
    /// volunteer could serve falls back to it (<c>Proxy:ErrorSemantics=Failover</c>).
    /// </summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>True when an origin is configured.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Url);
}

/// <summary>Checks the origin's URL, and that one is set when a setting needs it (and says which).</summary>
internal sealed class OriginOptionsValidator(IOptionsMonitor<CatalogOptions> catalog) : IValidateOptions<OriginOptions>
{
    public ValidateOptionsResult Validate(string? name, OriginOptions options)
    {
        if (!options.IsConfigured)
        {
            return catalog.CurrentValue.IsConfigured
                ? ValidateOptionsResult.Fail(
                    $"Origin:Url is required because Catalog:Source is set ('{catalog.CurrentValue.Source}'): catalog files no volunteer holds, repository metadata "
                    + "(Gateway:OriginOnlyFileNames, Gateway:OriginOnlyFolders) and, with Gateway:UncataloguedPaths=Origin, paths outside the catalog are served by the origin. "
                    + "Set Origin:Url, or remove Catalog:Source to balance every path among the volunteers as Apache does.")
                : ValidateOptionsResult.Success;
        }

        return Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Origin:Url '{options.Url}' must be the absolute http(s) URL of the origin repository.");
    }
}
