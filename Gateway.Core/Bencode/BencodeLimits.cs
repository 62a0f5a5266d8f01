namespace Gateway.Core.Bencode;

/// <summary>Bounds a reader enforces so hostile input cannot exhaust the stack or memory.</summary>
public sealed record BencodeLimits
{
    /// <summary>64 levels of nesting, 32 MiB of input: a .torrent of a 64 GiB file with 256 KiB pieces is 5 MiB.</summary>
    public static BencodeLimits Default { get; } = new();

    /// <summary>Deepest nesting of lists and dictionaries (the top-level value's container is level 1).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Largest input accepted, in bytes.</summary>
    public int MaxSize { get; init; } = 32 * 1024 * 1024;

    internal void Validate()
    {
        if (MaxDepth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "MaxDepth must be at least 1.");
        }

        if (MaxSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSize), MaxSize, "MaxSize must be at least 1.");
        }
    }
}
