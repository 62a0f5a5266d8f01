using Microsoft.Extensions.Options;

namespace Gateway.Delivery;

/// <summary>The central repository server: the fallback for everything and the source of truth (section <c>Origin</c>).</summary>
public sealed class OriginOptions
{
    public const string Section = "Origin";

    /// <summary>Base URL of the origin, e.g. <c>http://origin.internal/debian/</c>.</summary>
    public string Url { get; set; } = string.Empty;
}

internal sealed class OriginOptionsValidator : IValidateOptions<OriginOptions>
{
    public ValidateOptionsResult Validate(string? name, OriginOptions options) =>
        Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Origin:Url '{options.Url}' must be the absolute http(s) URL of the origin repository.");
}
