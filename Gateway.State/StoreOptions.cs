using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.State;

/// <summary>Where the swarm state lives.</summary>
public enum StoreKind
{
    /// <summary>In this process only: one gateway (and its tracker) alone; nothing to install.</summary>
    Memory,

    /// <summary>In Redis (or Redis Cluster): several gateways and trackers share one state.</summary>
    Redis,
}

/// <summary>The store (swarm peers and holdings) and how a gateway follows it (section <c>Store</c>).</summary>
public sealed class StoreOptions
{
    public const string Section = "Store";

    public StoreKind Kind { get; set; } = StoreKind.Memory;

    /// <summary>StackExchange.Redis connection string, e.g. <c>redis1:6379,redis2:6379,password=…</c>; required when <see cref="Kind"/> is Redis.</summary>
    public string? Redis { get; set; }

    /// <summary>Names every key (inside a hash tag, so one Redis can hold several independent deployments).</summary>
    public string KeyPrefix { get; set; } = "gw";

    /// <summary>A volunteer that nobody writes about for this long is removed by the store (Redis key TTL plus a sweep).</summary>
    public TimeSpan VolunteerTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A BitTorrent peer that does not announce again within this long leaves its torrent's peer list (about 1.5 announce intervals).</summary>
    public TimeSpan PeerTtl { get; set; } = TimeSpan.FromMinutes(45);

    /// <summary>How often expired volunteers are swept out of the store and their removal announced.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often each gateway reads the whole state again, to repair a notification it missed.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// While the store cannot be read, a gateway keeps serving a volunteer from its last view for this
    /// long after it last heard of it; then the volunteer's files go to the origin.
    /// </summary>
    public TimeSpan ViewMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest a single store call may take before the caller gives up on it (writes are then buffered).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often buffered writes are tried again while the store is unreachable.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a Redis-backed tracker writes the announces it answered to Redis (each peer's latest state, batched).</summary>
    public TimeSpan TrackerFlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How often a Redis-backed tracker reads, for the swarms it serves, what other trackers wrote: a peer announced
    /// to another tracker is in this tracker's peer lists within this interval plus the other's flush interval.
    /// </summary>
    public TimeSpan TrackerRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);
}

internal sealed class StoreOptionsValidator : IValidateOptions<StoreOptions>
{
    private static readonly System.Buffers.SearchValues<char> PrefixCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    public ValidateOptionsResult Validate(string? name, StoreOptions options)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(options.Kind))
        {
            errors.Add($"Store:Kind {options.Kind} must be Memory or Redis.");
        }

        if (options.Kind == StoreKind.Redis)
        {
            ValidateConnectionString(options.Redis, errors);
        }

        if (string.IsNullOrEmpty(options.KeyPrefix) || options.KeyPrefix.Length > 64 || options.KeyPrefix.AsSpan().IndexOfAnyExcept(PrefixCharacters) >= 0)
        {
            errors.Add($"Store:KeyPrefix '{options.KeyPrefix}' must be 1 to 64 letters, digits, '-', '_' or '.'.");
        }

        Between(errors, "Store:VolunteerTtl", options.VolunteerTtl, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        Between(errors, "Store:PeerTtl", options.PeerTtl, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Between(errors, "Store:SweepInterval", options.SweepInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Between(errors, "Store:ReconcileInterval", options.ReconcileInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Between(errors, "Store:OperationTimeout", options.OperationTimeout, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(1));
        Between(errors, "Store:RetryInterval", options.RetryInterval, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(1));
        Between(errors, "Store:TrackerFlushInterval", options.TrackerFlushInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10));
        Between(errors, "Store:TrackerRefreshInterval", options.TrackerRefreshInterval, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(5));

        // A view refreshed by every reconcile must not age out between two of them while the store is fine.
        if (options.ViewMaxAge < 2 * options.ReconcileInterval)
        {
            errors.Add($"Store:ViewMaxAge {options.ViewMaxAge} must be at least twice Store:ReconcileInterval ({options.ReconcileInterval}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateConnectionString(string? value, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add("Store:Redis must be a Redis connection string such as '127.0.0.1:6379' (or 'host1:6379,host2:6379,password=…') when Store:Kind is Redis.");
            return;
        }

        try
        {
            if (ConfigurationOptions.Parse(value).EndPoints.Count == 0)
            {
                errors.Add($"Store:Redis '{value}' names no host:port.");
            }
        }
        catch (ArgumentException ex)
        {
            errors.Add($"Store:Redis '{value}' is not a valid StackExchange.Redis connection string: {ex.Message}");
        }
    }

    private static void Between(List<string> errors, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{key} {value} must be between {min} and {max}.");
        }
    }
}
