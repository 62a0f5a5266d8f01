using Gateway.Delivery.Selection;

namespace Gateway.Simulation.Policies;

/// <summary>The policy's random choices from one seeded sequence (the event loop is single-threaded).</summary>
internal sealed class SeededRandomSource(Random random) : IRandomSource
{
    public int NextIndex(int maxExclusive) => random.Next(maxExclusive);
}
