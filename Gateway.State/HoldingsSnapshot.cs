using System.Collections.Frozen;

namespace Gateway.State;

/// <summary>A consistent full copy of the swarm state, used to (re)build a reader's view.</summary>
/// <param name="Holdings">Per volunteer id, the content ids it holds completely.</param>
/// <param name="Loads">Per volunteer id, its last load report.</param>
public sealed record HoldingsSnapshot(
    FrozenDictionary<string, FrozenSet<string>> Holdings,
    FrozenDictionary<string, LoadReport> Loads)
{
    /// <summary>Which memory of the store this was read from; null for a store that is never reset under its readers.</summary>
    public StoreGeneration? Generation { get; init; }

    /// <summary>Whether the snapshot has no volunteer at all.</summary>
    public bool IsEmpty => Holdings.Count == 0 && Loads.Count == 0;

    /// <summary>The empty state: nobody holds anything.</summary>
    public static HoldingsSnapshot Empty { get; } = new(
        FrozenDictionary<string, FrozenSet<string>>.Empty,
        FrozenDictionary<string, LoadReport>.Empty);
}
