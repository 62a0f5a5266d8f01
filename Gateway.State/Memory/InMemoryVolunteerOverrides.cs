using System.Collections.Concurrent;

namespace Gateway.State.Memory;

/// <summary>Hand-set overrides of a single process; they last as long as the process does.</summary>
public sealed class InMemoryVolunteerOverrides : IVolunteerOverrides
{
    private readonly ConcurrentDictionary<string, VolunteerOverride> _overrides = new(StringComparer.Ordinal);
    private volatile string? _lbMethod;

    public ValueTask SetAsync(string volunteerId, VolunteerOverride value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        ArgumentNullException.ThrowIfNull(value);
        _overrides[volunteerId] = value;
        return ValueTask.CompletedTask;
    }

    public ValueTask ClearAsync(string volunteerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        _overrides.TryRemove(volunteerId, out _);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyDictionary<string, VolunteerOverride>> GetAllAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyDictionary<string, VolunteerOverride>>(new Dictionary<string, VolunteerOverride>(_overrides, StringComparer.Ordinal));

    public ValueTask SetLbMethodAsync(string? lbMethod, CancellationToken cancellationToken)
    {
        _lbMethod = lbMethod;
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> GetLbMethodAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_lbMethod);
}
