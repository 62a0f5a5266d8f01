using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Selection;

/// <summary>Randomness for selection, injectable so tests and experiments are exact.</summary>
public interface IRandomSource
{
    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    int NextIndex(int maxExclusive);
}

/// <summary>Shared randomness; with <see cref="SelectionOptions.Seed"/> set, one seeded sequence for the process.</summary>
public sealed class SelectionRandomSource(IOptions<SelectionOptions> options) : IRandomSource
{
    private readonly Random? _seeded = options.Value.Seed is { } seed ? new Random(seed) : null;
    private readonly Lock _gate = new();

    public int NextIndex(int maxExclusive)
    {
        if (_seeded is null)
        {
            return Random.Shared.Next(maxExclusive);
        }

        // A seeded Random is not thread-safe; the lock is uncontended outside tests and experiments.
        lock (_gate)
        {
            return _seeded.Next(maxExclusive);
        }
    }
}
