using Microsoft.Extensions.Options;

namespace Gateway.Simulation.Policies;

/// <summary>Options that never change during a run.</summary>
internal sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
