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

    /// <summary>
    /// Per volunteer, when its holdings were last written (the store's clock); empty for a store without versions. A view
    /// keeps newer holdings than these (a store that came back with older state, such as a lagging replica).
    /// </summary>
    public FrozenDictionary<string, DateTimeOffset> HoldingsWrittenAt { get; init; } = FrozenDictionary<string, DateTimeOffset>.Empty;

    /// <summary>Whether the snapshot has no volunteer at all.</summary>
    public bool IsEmpty => Holdings.Count == 0 && Loads.Count == 0;

    /// <summary>The empty state: nobody holds anything.</summary>
    public static HoldingsSnapshot Empty { get; } = new(
        FrozenDictionary<string, FrozenSet<string>>.Empty,
        FrozenDictionary<string, LoadReport>.Empty);
}
