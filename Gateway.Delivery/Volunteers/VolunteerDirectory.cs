using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Volunteers;

/// <summary>A configured volunteer as selection needs it on every request.</summary>
public sealed record VolunteerInfo(string Id, Uri BaseUrl, int Weight, bool Enabled);

/// <summary>The configured volunteers by id, rebuilt when appsettings change; read lock-free per request.</summary>
public sealed class VolunteerDirectory : IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<string, VolunteerInfo> _byId;

    public VolunteerDirectory(IOptionsMonitor<VolunteerSetOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _byId = Build(options.CurrentValue);
        _subscription = options.OnChange(o => _byId = Build(o));
    }

    public IReadOnlyCollection<VolunteerInfo> All => _byId.Values;

    public VolunteerInfo? Find(string id) => _byId.GetValueOrDefault(id);

    public void Dispose() => _subscription?.Dispose();

    private static FrozenDictionary<string, VolunteerInfo> Build(VolunteerSetOptions options) =>
        options.Members
            .Select(m => new VolunteerInfo(m.Id, NormalizeBase(m.Url), m.EffectiveWeight, m.Enabled))
            .ToFrozenDictionary(v => v.Id, StringComparer.Ordinal);

    /// <summary>Ensures the base URL ends with '/', so a file path appends below it.</summary>
    public static Uri NormalizeBase(string url) => new(url.EndsWith('/') ? url : url + "/", UriKind.Absolute);
}
