namespace Gateway.Core.Bencode;

/// <summary>Malformed or over-limit bencode; <see cref="Offset"/> is the byte where reading stopped.</summary>
public sealed class BencodeException : FormatException
{
    public BencodeException()
        : this("Malformed bencode.")
    {
    }

    public BencodeException(string message)
        : base(message)
    {
        Offset = -1;
    }

    public BencodeException(string message, Exception innerException)
        : base(message, innerException)
    {
        Offset = -1;
    }

    public BencodeException(string message, int offset)
        : base($"{message} (at byte {offset})")
    {
        Offset = offset;
    }

    /// <summary>Zero-based offset into the input of the offending byte, or -1 when not tied to one.</summary>
    public int Offset { get; }
}
