using Microsoft.Extensions.Options;

namespace Gateway.Delivery.BalancerManager;

/// <summary>The balancer-manager page (section <c>BalancerManager</c>).</summary>
public sealed class BalancerManagerOptions
{
    public const string Section = "BalancerManager";

    /// <summary>Where the page is served; its JSON view is at the same path with <c>?format=json</c>.</summary>
    public string Path { get; set; } = "/balancer-manager";

    /// <summary>
    /// Who may use the page: <c>user:password</c> for HTTP Basic, or any token for <c>Authorization: Bearer</c>
    /// (the same value works both ways). Empty keeps the page closed.
    /// </summary>
    public string? Credential { get; set; }

    /// <summary>
    /// File that keeps edits across restarts (relative to the working folder). Empty: edits last until restart.
    /// Not used with <c>Store:Kind=Redis</c>: edits then live in Redis, shared by every gateway.
    /// </summary>
    public string? StateFile { get; set; } = "balancer-manager-state.json";

    /// <summary>With <c>Store:Kind=Redis</c>: how often a gateway reads the edits from Redis (and so takes the other gateways' edits).</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a page's nonce stays valid for one edit.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Where volunteers POST Apache-format heartbeats (<c>v=1&amp;ready=N&amp;busy=N</c>, with <c>?id=</c> naming the volunteer).</summary>
    public string HeartbeatPath { get; set; } = "/heartbeat";
}

internal sealed class BalancerManagerOptionsValidator : IValidateOptions<BalancerManagerOptions>
{
    public ValidateOptionsResult Validate(string? name, BalancerManagerOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(options.Path) || options.Path[0] != '/' || options.Path.Length < 2 || options.Path.Contains("..", StringComparison.Ordinal))
        {
            errors.Add($"BalancerManager:Path '{options.Path}' must start with '/', name a page (not '/') and have no '..'.");
        }

        if (string.IsNullOrEmpty(options.HeartbeatPath) || options.HeartbeatPath[0] != '/' || options.HeartbeatPath.Length < 2)
        {
            errors.Add($"BalancerManager:HeartbeatPath '{options.HeartbeatPath}' must start with '/' and name a path (not '/').");
        }

        if (options.Credential is { Length: > 0 and < 12 })
        {
            errors.Add("BalancerManager:Credential is too short to protect the page; use at least 12 characters (e.g. 'admin:a-long-password').");
        }

        if (options.NonceLifetime < TimeSpan.FromSeconds(10) || options.NonceLifetime > TimeSpan.FromDays(1))
        {
            errors.Add($"BalancerManager:NonceLifetime {options.NonceLifetime} must be between 00:00:10 and 1.00:00:00.");
        }

        if (options.SyncInterval < TimeSpan.FromMilliseconds(100) || options.SyncInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"BalancerManager:SyncInterval {options.SyncInterval} must be between 00:00:00.1 and 01:00:00.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
