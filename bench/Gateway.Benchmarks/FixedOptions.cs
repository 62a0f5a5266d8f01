using Microsoft.Extensions.Options;

namespace Gateway.Benchmarks;

/// <summary>Options that never change, for building policies outside a host.</summary>
internal sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
