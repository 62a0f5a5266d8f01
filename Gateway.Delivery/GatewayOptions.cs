using Microsoft.Extensions.Options;

namespace Gateway.Delivery;

/// <summary>How a download reaches the customer.</summary>
public enum DeliveryMode
{
    /// <summary>302 to the chosen volunteer; the customer fetches from it directly.</summary>
    Redirect,

    /// <summary>The gateway streams the volunteer's response through, failing over before the first byte.</summary>
    Proxy,
}

/// <summary>Where a GET for a path outside the catalog goes, when a catalog is configured.</summary>
public enum UncataloguedPaths
{
    /// <summary>To the origin: only published files are balanced (the volunteer design).</summary>
    Origin,

    /// <summary>To the balancer: every volunteer counts as holding the path, as in Apache.</summary>
    Balancer,
}

/// <summary>A path prefix with its own delivery mode (section <c>Gateway:Routes</c>).</summary>
public sealed class ModeRouteOptions
{
    /// <summary>URL path prefix, starting with '/', e.g. <c>/iso/</c>.</summary>
    public string PathPrefix { get; set; } = string.Empty;

    public DeliveryMode Mode { get; set; } = DeliveryMode.Redirect;

    /// <summary>Where this prefix's paths outside the catalog go; unset: <see cref="GatewayOptions.UncataloguedPaths"/>.</summary>
    public UncataloguedPaths? UncataloguedPaths { get; set; }
}

/// <summary>The gateway's request handling (section <c>Gateway</c>).</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Delivery mode for paths no entry of <see cref="Routes"/> matches.</summary>
    public DeliveryMode Mode { get; set; } = DeliveryMode.Redirect;

    /// <summary>
    /// Where the repository lives on this hostname, e.g. <c>/debian</c> for <c>deb http://repo.example.org/debian …</c>;
    /// empty for the root. Catalog paths, <c>Origin:Url</c>, volunteer URLs, <c>Health:Path</c> and
    /// <see cref="Routes"/> prefixes stay relative to it; other paths (but the gateway's own endpoints) get 404.
    /// </summary>
    public string PathBase
    {
        get => _pathBase;
        set
        {
            _pathBase = value;
            _normalizedPathBase = null;
        }
    }

    /// <summary><see cref="PathBase"/> without a trailing '/': empty, or '/' and at least one segment (made once: it is read on every request).</summary>
    public string NormalizedPathBase => _normalizedPathBase ??= _pathBase.TrimEnd('/');

    private string _pathBase = string.Empty;
    private string? _normalizedPathBase;

    /// <summary>
    /// The repository path (catalog key) of a normalized request path (no leading '/'): the part below
    /// <see cref="PathBase"/>, or null when it is not below it.
    /// </summary>
    public string? RepositoryPathOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var pathBase = NormalizedPathBase;
        if (pathBase.Length == 0)
        {
            return path;
        }

        var segments = pathBase.AsSpan(1);
        if (path.AsSpan().Equals(segments, StringComparison.Ordinal))
        {
            return string.Empty;
        }

        return path.Length > segments.Length && path[segments.Length] == '/' && path.AsSpan(0, segments.Length).Equals(segments, StringComparison.Ordinal)
            ? path[(segments.Length + 1)..]
            : null;
    }

    /// <summary>
    /// With a catalog (<c>Catalog:Source</c>): where GETs for paths outside it go, unless a route says otherwise.
    /// Without a catalog every path is balanced whatever this says.
    /// </summary>
    public UncataloguedPaths UncataloguedPaths { get; set; } = UncataloguedPaths.Origin;

    /// <summary>Files smaller than this (bytes) are proxied even in redirect mode: a redirect costs the customer a round trip.</summary>
    public long SmallFileThreshold { get; set; } = 64 * 1024;

    /// <summary>Per path prefix delivery modes; the longest matching prefix wins.</summary>
    public List<ModeRouteOptions> Routes { get; set; } = [];

    /// <summary>Longest decoded request path accepted, in bytes.</summary>
    public int MaxPathBytes { get; set; } = 1024;

    /// <summary>HTTP status of a redirect: 302 (default, what every client follows) or 307.</summary>
    public int RedirectStatus { get; set; } = 302;

    /// <summary>File names (with '*' wildcards) always served by the origin: repository metadata must stay fresh and consistent.</summary>
    public List<string> OriginOnlyFileNames { get; set; } =
    [
        "InRelease", "Release", "Release.gpg", "Packages*", "Sources*", "Contents-*", "Translation-*",
        "*.sig", "*.asc", "repomd.xml*", "*.repo", "manifest.json",
    ];

    /// <summary>Folder names whose files are always served by the origin.</summary>
    public List<string> OriginOnlyFolders { get; set; } = ["repodata", "by-hash"];

    /// <summary>How often an idle release feed (<c>/_gateway/releases</c>) sends a keep-alive event, so proxies keep the stream open.</summary>
    public TimeSpan ReleaseFeedKeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often volunteers' inventories (see Volunteers:N:Inventory) are read again.</summary>
    public TimeSpan InventoryRefresh { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where paths outside the catalog go for <paramref name="path"/> (normalized, no leading '/'): the longest matching route's choice, else the default.</summary>
    public UncataloguedPaths UncataloguedPathsFor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ModeRouteOptions? best = null;
        foreach (var route in Routes)
        {
            var prefix = route.PathPrefix.AsSpan().TrimStart('/');
            if (route.UncataloguedPaths is not null && path.AsSpan().StartsWith(prefix, StringComparison.Ordinal) && (best is null || route.PathPrefix.Length > best.PathPrefix.Length))
            {
                best = route;
            }
        }

        return best?.UncataloguedPaths ?? UncataloguedPaths;
    }
}

internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        if (options.SmallFileThreshold < 0)
        {
            errors.Add($"Gateway:SmallFileThreshold {options.SmallFileThreshold} must be 0 or more bytes.");
        }

        if (options.MaxPathBytes is < 16 or > 8192)
        {
            errors.Add($"Gateway:MaxPathBytes {options.MaxPathBytes} must be between 16 and 8192.");
        }

        if (options.RedirectStatus is not (302 or 307))
        {
            errors.Add($"Gateway:RedirectStatus {options.RedirectStatus} must be 302 or 307.");
        }

        if (options.ReleaseFeedKeepAlive < TimeSpan.FromSeconds(1) || options.ReleaseFeedKeepAlive > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Gateway:ReleaseFeedKeepAlive {options.ReleaseFeedKeepAlive} must be between 00:00:01 and 00:01:00 (agents reopen a feed silent for 3 minutes).");
        }

        if (options.InventoryRefresh < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"Gateway:InventoryRefresh {options.InventoryRefresh} is too short; use at least 00:00:00.1.");
        }

        var pathBase = options.PathBase;
        if (pathBase.Length > 0 && (pathBase[0] != '/' || pathBase.Contains("..", StringComparison.Ordinal) || pathBase.Contains("//", StringComparison.Ordinal)
            || pathBase.IndexOfAny(['?', '#', '%', '\\', ' ']) >= 0))
        {
            errors.Add($"Gateway:PathBase '{pathBase}' must be empty (the root) or a path such as /debian: starting with '/', without '..', '//', '?', '#', '%', '\\' or spaces.");
        }

        for (var i = 0; i < options.Routes.Count; i++)
        {
            var prefix = options.Routes[i].PathPrefix;
            if (string.IsNullOrEmpty(prefix) || prefix[0] != '/' || prefix.Contains("..", StringComparison.Ordinal))
            {
                errors.Add($"Gateway:Routes:{i}:PathPrefix '{prefix}' must start with '/' and have no '..'.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
