using System.Collections.Frozen;
using Gateway.Delivery.Volunteers;
using Gateway.Feedback.Tracker;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// Volunteer keys from configuration (<c>Volunteers:N:Key</c>, and <c>Volunteers:N:PreviousKey</c> during a key
/// rotation), rebuilt when it changes: a key removed from the file stops working at the reload, without a restart.
/// </summary>
public sealed class ConfiguredVolunteerKeys : IVolunteerKeys, IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<string, KeyedVolunteer> _byKey;

    public ConfiguredVolunteerKeys(IOptionsMonitor<VolunteerSetOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _byKey = Build(options.CurrentValue);
        _subscription = options.OnChange(o => _byKey = Build(o));
    }

    public bool TryResolve(ReadOnlySpan<char> key, out KeyedVolunteer? volunteer) =>
        _byKey.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out volunteer);

    public void Dispose() => _subscription?.Dispose();

    // A disabled volunteer keeps its key working: it may seed, but selection leaves it out.
    private static FrozenDictionary<string, KeyedVolunteer> Build(VolunteerSetOptions options) =>
        options.Members
            .SelectMany(m => m.AcceptedKeys().Select(key => (Key: key, Volunteer: new KeyedVolunteer(m.Id, VolunteerDirectory.NormalizeBase(m.Url)))))
            .ToFrozenDictionary(k => k.Key, k => k.Volunteer, StringComparer.Ordinal);
}
