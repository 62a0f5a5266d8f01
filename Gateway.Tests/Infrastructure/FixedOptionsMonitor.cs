using Microsoft.Extensions.Options;

namespace Gateway.Tests.Infrastructure;

/// <summary>An options monitor whose value a unit test sets directly.</summary>
public sealed class FixedOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue { get; set; } = value;

    public T Get(string? name) => CurrentValue;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
