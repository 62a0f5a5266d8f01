using System.Buffers;
using System.Text;

namespace Gateway.Core.Bencode;

/// <summary>
/// Writes canonical bencode to an <see cref="IBufferWriter{T}"/>. It checks the structure as it goes:
/// dictionary keys must come in strictly ascending byte order (as BEP 3 requires), each key needs a value,
/// and containers must be closed; misuse throws <see cref="InvalidOperationException"/>. Reuse one writer
/// with <see cref="Reset"/>: after warm-up it allocates nothing.
/// </summary>
public sealed class BencodeWriter
{
    private const int MaxInt64Digits = 20;

    private IBufferWriter<byte> _output;
    private Frame[] _frames = new Frame[8];
    private byte[] _keys = new byte[256];
    private int _keysLength;
    private int _depth;
    private bool _wroteTopLevel;

    public BencodeWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Containers open now.</summary>
    public int Depth => _depth;

    /// <summary>True once one complete top-level value has been written.</summary>
    public bool IsComplete => _wroteTopLevel && _depth == 0;

    /// <summary>Starts over on another output (or the same one), forgetting any unfinished structure.</summary>
    public void Reset(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _depth = 0;
        _keysLength = 0;
        _wroteTopLevel = false;
    }

    public void WriteInteger(long value)
    {
        BeforeValue();
        var span = _output.GetSpan(MaxInt64Digits + 2);
        span[0] = (byte)'i';
        value.TryFormat(span[1..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        span[written + 1] = (byte)'e';
        _output.Advance(written + 2);
        AfterValue();
    }

    public void WriteString(ReadOnlySpan<byte> value)
    {
        BeforeValue();
        WriteStringCore(value);
        AfterValue();
    }

    /// <summary>Writes the UTF-8 bytes of <paramref name="value"/>.</summary>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        BeforeValue();
        WriteUtf8(value);
    }

    /// <summary>Writes a dictionary key; it must sort after the previous key of the same dictionary.</summary>
    public void WriteKey(ReadOnlySpan<byte> key)
    {
        BeforeKey(key);
        WriteStringCore(key);
    }

    /// <summary>Writes the UTF-8 bytes of <paramref name="key"/> as a dictionary key.</summary>
    public void WriteKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var length = Encoding.UTF8.GetByteCount(key);
        if (length <= 256)
        {
            Span<byte> bytes = stackalloc byte[length];
            Encoding.UTF8.GetBytes(key, bytes);
            WriteKey(bytes);
        }
        else
        {
            WriteKey(Encoding.UTF8.GetBytes(key));
        }
    }

    public void WriteStartList() => Open(dictionary: false);

    public void WriteStartDictionary() => Open(dictionary: true);

    /// <summary>Closes the innermost list or dictionary.</summary>
    public void WriteEnd()
    {
        if (_depth == 0)
        {
            throw new InvalidOperationException("There is no open list or dictionary to end.");
        }

        ref var frame = ref _frames[_depth - 1];
        if (frame.Dictionary && !frame.ExpectKey)
        {
            throw new InvalidOperationException("The dictionary's last key has no value.");
        }

        _keysLength = frame.KeysBase;
        _depth--;
        WriteByte((byte)'e');
        AfterValue();
    }

    /// <summary>
    /// Copies an already-encoded value (for example a stored <c>info</c> dictionary) as the next value.
    /// The bytes are trusted to be one canonical value; decode them first if they come from outside.
    /// </summary>
    public void WriteEncoded(ReadOnlySpan<byte> encodedValue)
    {
        if (encodedValue.IsEmpty)
        {
            throw new ArgumentException("An encoded value is at least one byte.", nameof(encodedValue));
        }

        BeforeValue();
        encodedValue.CopyTo(_output.GetSpan(encodedValue.Length));
        _output.Advance(encodedValue.Length);
        AfterValue();
    }

    private void Open(bool dictionary)
    {
        BeforeValue();
        if (_depth == _frames.Length)
        {
            Array.Resize(ref _frames, _frames.Length * 2);
        }

        _frames[_depth++] = new Frame { Dictionary = dictionary, ExpectKey = true, KeysBase = _keysLength, LastKeyStart = -1 };
        WriteByte(dictionary ? (byte)'d' : (byte)'l');
    }

    private void BeforeValue()
    {
        if (_depth == 0)
        {
            if (_wroteTopLevel)
            {
                throw new InvalidOperationException("A bencode document holds one top-level value; it is already written.");
            }

            _wroteTopLevel = true;
            return;
        }

        ref var frame = ref _frames[_depth - 1];
        if (frame.Dictionary && frame.ExpectKey)
        {
            throw new InvalidOperationException("A dictionary key is expected here; write it with WriteKey.");
        }
    }

    private void AfterValue()
    {
        if (_depth > 0 && _frames[_depth - 1].Dictionary)
        {
            _frames[_depth - 1].ExpectKey = true;
        }
    }

    private void BeforeKey(ReadOnlySpan<byte> key)
    {
        if (_depth == 0 || !_frames[_depth - 1].Dictionary)
        {
            throw new InvalidOperationException("A key can only be written inside a dictionary.");
        }

        ref var frame = ref _frames[_depth - 1];
        if (!frame.ExpectKey)
        {
            throw new InvalidOperationException("The previous key has no value yet.");
        }

        if (frame.LastKeyStart >= 0)
        {
            var previous = _keys.AsSpan(frame.LastKeyStart, _keysLength - frame.LastKeyStart);
            var order = key.SequenceCompareTo(previous);
            if (order <= 0)
            {
                throw new InvalidOperationException(order == 0
                    ? $"Duplicate dictionary key '{Encoding.UTF8.GetString(key)}'."
                    : $"Dictionary keys must be written in ascending byte order: '{Encoding.UTF8.GetString(key)}' after '{Encoding.UTF8.GetString(previous)}'.");
            }

            _keysLength = frame.LastKeyStart;
        }

        if (_keys.Length < _keysLength + key.Length)
        {
            Array.Resize(ref _keys, Math.Max(_keys.Length * 2, _keysLength + key.Length));
        }

        key.CopyTo(_keys.AsSpan(_keysLength));
        frame.LastKeyStart = _keysLength;
        _keysLength += key.Length;
        frame.ExpectKey = false;
    }

    private void WriteStringCore(ReadOnlySpan<byte> value)
    {
        var span = _output.GetSpan(MaxInt64Digits + 1 + value.Length);
        value.Length.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        span[written++] = (byte)':';
        value.CopyTo(span[written..]);
        _output.Advance(written + value.Length);
    }

    private void WriteUtf8(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        var span = _output.GetSpan(MaxInt64Digits + 1 + length);
        length.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        span[written++] = (byte)':';
        Encoding.UTF8.GetBytes(value, span[written..]);
        _output.Advance(written + length);
        AfterValue();
    }

    private void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    private struct Frame
    {
        public bool Dictionary;
        public bool ExpectKey;
        public int KeysBase;
        public int LastKeyStart;
    }
}
