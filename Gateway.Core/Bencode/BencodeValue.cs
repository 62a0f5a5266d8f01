using System.Buffers;
using System.Collections;
using System.Text;

namespace Gateway.Core.Bencode;

/// <summary>A decoded bencode value: <see cref="BencodeInteger"/>, <see cref="BencodeString"/>, <see cref="BencodeList"/> or <see cref="BencodeDictionary"/>.</summary>
public abstract class BencodeValue
{
    private protected BencodeValue()
    {
    }

    /// <summary>Writes this value (canonically: dictionaries are always sorted).</summary>
    public abstract void WriteTo(BencodeWriter writer);

    /// <summary>The canonical encoding of this value.</summary>
    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteTo(new BencodeWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>A bencode integer.</summary>
public sealed class BencodeInteger(long value) : BencodeValue
{
    public long Value { get; } = value;

    public override void WriteTo(BencodeWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteInteger(Value);
    }

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A bencode byte string; when decoded, a slice of the input (no copy).</summary>
public sealed class BencodeString(ReadOnlyMemory<byte> bytes) : BencodeValue
{
    public BencodeString(string utf8)
        : this(Encoding.UTF8.GetBytes(utf8 ?? throw new ArgumentNullException(nameof(utf8))))
    {
    }

    public ReadOnlyMemory<byte> Bytes { get; } = bytes;

    public override void WriteTo(BencodeWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteString(Bytes.Span);
    }

    /// <summary>The bytes read as UTF-8 (invalid sequences become U+FFFD).</summary>
    public override string ToString() => Encoding.UTF8.GetString(Bytes.Span);
}

/// <summary>A bencode list.</summary>
public sealed class BencodeList(IReadOnlyList<BencodeValue> items) : BencodeValue, IReadOnlyList<BencodeValue>
{
    private readonly IReadOnlyList<BencodeValue> _items = items ?? throw new ArgumentNullException(nameof(items));

    public int Count => _items.Count;

    public BencodeValue this[int index] => _items[index];

    public IEnumerator<BencodeValue> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override void WriteTo(BencodeWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartList();
        foreach (var item in _items)
        {
            item.WriteTo(writer);
        }

        writer.WriteEnd();
    }
}

/// <summary>A bencode dictionary: byte-string keys, kept in ascending byte order, unique.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "Dictionary is the name BEP 3 gives this value type.")]
public sealed class BencodeDictionary : BencodeValue, IReadOnlyList<KeyValuePair<ReadOnlyMemory<byte>, BencodeValue>>
{
    private readonly KeyValuePair<ReadOnlyMemory<byte>, BencodeValue>[] _entries;

    /// <summary>Builds a dictionary from entries in any order; throws on a duplicate key.</summary>
    public BencodeDictionary(IEnumerable<KeyValuePair<ReadOnlyMemory<byte>, BencodeValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = [.. entries];
        Array.Sort(_entries, static (a, b) => a.Key.Span.SequenceCompareTo(b.Key.Span));
        for (var i = 1; i < _entries.Length; i++)
        {
            if (_entries[i].Key.Span.SequenceEqual(_entries[i - 1].Key.Span))
            {
                throw new ArgumentException($"Duplicate dictionary key '{Encoding.UTF8.GetString(_entries[i].Key.Span)}'.", nameof(entries));
            }
        }
    }

    /// <summary>Builds a dictionary from UTF-8 keys in any order; throws on a duplicate key.</summary>
    public BencodeDictionary(IEnumerable<KeyValuePair<string, BencodeValue>> entries)
        : this((entries ?? throw new ArgumentNullException(nameof(entries)))
            .Select(e => new KeyValuePair<ReadOnlyMemory<byte>, BencodeValue>(Encoding.UTF8.GetBytes(e.Key), e.Value)))
    {
    }

    // The decoder has already checked order and uniqueness.
    private BencodeDictionary(KeyValuePair<ReadOnlyMemory<byte>, BencodeValue>[] sortedEntries, bool _) => _entries = sortedEntries;

    public int Count => _entries.Length;

    public KeyValuePair<ReadOnlyMemory<byte>, BencodeValue> this[int index] => _entries[index];

    /// <summary>Finds a key by binary search.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BencodeValue? value)
    {
        int low = 0, high = _entries.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var order = _entries[middle].Key.Span.SequenceCompareTo(key);
            if (order == 0)
            {
                value = _entries[middle].Value;
                return true;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        value = null;
        return false;
    }

    /// <summary>The value of <paramref name="key"/> if it is present and of type <typeparamref name="T"/>.</summary>
    public T? Get<T>(ReadOnlySpan<byte> key)
        where T : BencodeValue =>
        TryGetValue(key, out var value) ? value as T : null;

    public IEnumerator<KeyValuePair<ReadOnlyMemory<byte>, BencodeValue>> GetEnumerator() => ((IEnumerable<KeyValuePair<ReadOnlyMemory<byte>, BencodeValue>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override void WriteTo(BencodeWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartDictionary();
        foreach (var (key, value) in _entries)
        {
            writer.WriteKey(key.Span);
            value.WriteTo(writer);
        }

        writer.WriteEnd();
    }

    internal static BencodeDictionary FromSorted(KeyValuePair<ReadOnlyMemory<byte>, BencodeValue>[] sortedEntries) => new(sortedEntries, false);
}
