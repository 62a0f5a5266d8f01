namespace Gateway.Core.Bencode;

/// <summary>
/// A strict, zero-copy, forward-only bencode tokenizer over one complete value. It accepts only the
/// canonical encoding (BEP 3): integers without leading zeros or "-0" that fit in a long, string lengths
/// without leading zeros, dictionary keys that are byte strings in strictly ascending byte order, no data
/// after the value, and the depth and size of <see cref="BencodeLimits"/>. Anything else throws
/// <see cref="BencodeException"/> with the offset of the offending byte, and nothing else is thrown.
/// </summary>
public ref struct BencodeReader
{
    // Per open container, three ints: flags, start and length of the last key read in it (dictionaries).
    private const int FrameSize = 3;
    private const int DictionaryFlag = 1;
    private const int ExpectKeyFlag = 2;

    private readonly ReadOnlySpan<byte> _data;
    private readonly int _maxDepth;
    private int[]? _frames;
    private int _position;
    private int _depth;
    private bool _started;
    private bool _finished;
    private long _integer;
    private int _stringStart;
    private int _stringLength;

    public BencodeReader(ReadOnlySpan<byte> data, BencodeLimits? limits = null)
    {
        limits ??= BencodeLimits.Default;
        limits.Validate();
        if (data.Length > limits.MaxSize)
        {
            throw new BencodeException($"Input of {data.Length} bytes exceeds the limit of {limits.MaxSize} bytes", limits.MaxSize);
        }

        _data = data;
        _maxDepth = limits.MaxDepth;
    }

    /// <summary>The token the last <see cref="Read"/> returned.</summary>
    public BencodeTokenType TokenType { readonly get; private set; }

    /// <summary>Offset of the first byte of the current token.</summary>
    public int TokenStart { readonly get; private set; }

    /// <summary>Offset just after the current token: after <see cref="Skip"/> of a container start, after its end.</summary>
    public readonly int Position => _position;

    /// <summary>Containers open after the current token.</summary>
    public readonly int Depth => _depth;

    /// <summary>The value of the current <see cref="BencodeTokenType.Integer"/> token.</summary>
    public readonly long IntegerValue => TokenType == BencodeTokenType.Integer ? _integer : throw new InvalidOperationException($"The current token is {TokenType}, not an integer.");

    /// <summary>The bytes of the current <see cref="BencodeTokenType.String"/> or <see cref="BencodeTokenType.Key"/> token (a slice of the input).</summary>
    public readonly ReadOnlySpan<byte> StringValue => TokenType is BencodeTokenType.String or BencodeTokenType.Key
        ? _data.Slice(_stringStart, _stringLength)
        : throw new InvalidOperationException($"The current token is {TokenType}, not a byte string.");

    /// <summary>Offset of the first byte of the current string's content (after the length prefix).</summary>
    public readonly int StringStart => _stringStart;

    /// <summary>
    /// Reads the next token. Returns false once the top-level value is complete, after checking that no
    /// bytes follow it.
    /// </summary>
    public bool Read()
    {
        if (_finished)
        {
            return false;
        }

        if (_started && _depth == 0)
        {
            if (_position != _data.Length)
            {
                throw new BencodeException($"{_data.Length - _position} bytes of trailing data after the value", _position);
            }

            _finished = true;
            TokenType = BencodeTokenType.None;
            return false;
        }

        if (_position >= _data.Length)
        {
            throw new BencodeException(_started ? "Input ends inside a list or dictionary" : "Input is empty", _position);
        }

        _started = true;
        TokenStart = _position;
        var inDictionary = _depth > 0 && (Flags & DictionaryFlag) != 0;
        var keyExpected = inDictionary && (Flags & ExpectKeyFlag) != 0;
        var b = _data[_position];
        if (b == (byte)'e')
        {
            if (_depth == 0)
            {
                throw new BencodeException("Unexpected 'e' outside any list or dictionary", _position);
            }

            if (inDictionary && !keyExpected)
            {
                throw new BencodeException("Dictionary ends after a key that has no value", _position);
            }

            _position++;
            _depth--;
            TokenType = inDictionary ? BencodeTokenType.EndDictionary : BencodeTokenType.EndList;
            ValueDone();
            return true;
        }

        if (keyExpected && b is < (byte)'0' or > (byte)'9')
        {
            throw new BencodeException($"Dictionary key must be a byte string, found {Describe(b)}", _position);
        }

        switch (b)
        {
            case (byte)'i':
                _integer = ParseInteger();
                TokenType = BencodeTokenType.Integer;
                ValueDone();
                return true;
            case (byte)'l':
            case (byte)'d':
                Push(b == (byte)'d');
                TokenType = b == (byte)'d' ? BencodeTokenType.StartDictionary : BencodeTokenType.StartList;
                return true;
            case >= (byte)'0' and <= (byte)'9':
                ParseString();
                if (keyExpected)
                {
                    CheckKeyOrder();
                    TokenType = BencodeTokenType.Key;
                }
                else
                {
                    TokenType = BencodeTokenType.String;
                    ValueDone();
                }

                return true;
            default:
                throw new BencodeException($"Unexpected {Describe(b)} where a value should start", _position);
        }
    }

    /// <summary>
    /// Skips the value the current token begins: a container start is read through its end; a key is
    /// read through its value; a scalar needs nothing. Every skipped byte is still checked.
    /// </summary>
    public void Skip()
    {
        if (TokenType == BencodeTokenType.Key)
        {
            Read();
        }

        if (TokenType is BencodeTokenType.StartList or BencodeTokenType.StartDictionary)
        {
            var depth = _depth - 1;
            while (_depth > depth)
            {
                Read();
            }
        }
    }

    /// <summary>Reads to the end of the input, checking all of it.</summary>
    public void ReadToEnd()
    {
        while (Read())
        {
        }
    }

    private readonly int Flags => _frames![(_depth - 1) * FrameSize];

    private void ValueDone()
    {
        if (_depth > 0 && (_frames![(_depth - 1) * FrameSize] & DictionaryFlag) != 0)
        {
            _frames[(_depth - 1) * FrameSize] |= ExpectKeyFlag;
        }
    }

    private void Push(bool dictionary)
    {
        if (_depth >= _maxDepth)
        {
            throw new BencodeException($"Nesting deeper than the limit of {_maxDepth}", _position);
        }

        var needed = (_depth + 1) * FrameSize;
        if (_frames is null || _frames.Length < needed)
        {
            Array.Resize(ref _frames, Math.Max(needed, Math.Min(_maxDepth, 8 + (_depth * 2)) * FrameSize));
        }

        var frame = _depth * FrameSize;
        _frames[frame] = dictionary ? DictionaryFlag | ExpectKeyFlag : 0;
        _frames[frame + 1] = 0;
        _frames[frame + 2] = -1;
        _depth++;
        _position++;
    }

    private void CheckKeyOrder()
    {
        var frame = (_depth - 1) * FrameSize;
        var key = _data.Slice(_stringStart, _stringLength);
        if (_frames![frame + 2] >= 0)
        {
            var previous = _data.Slice(_frames[frame + 1], _frames[frame + 2]);
            var order = key.SequenceCompareTo(previous);
            if (order <= 0)
            {
                throw new BencodeException(order == 0 ? "Duplicate dictionary key" : "Dictionary keys are not in ascending byte order", TokenStart);
            }
        }

        _frames[frame + 1] = _stringStart;
        _frames[frame + 2] = _stringLength;
        _frames[frame] &= ~ExpectKeyFlag;
    }

    private long ParseInteger()
    {
        var start = _position;
        var p = _position + 1;
        var negative = p < _data.Length && _data[p] == (byte)'-';
        if (negative)
        {
            p++;
        }

        var firstDigit = p;
        long value = 0;

        // Accumulate negatively so long.MinValue parses without overflow.
        while (p < _data.Length && _data[p] is >= (byte)'0' and <= (byte)'9')
        {
            var digit = _data[p] - '0';
            if (value < (long.MinValue + digit) / 10)
            {
                throw new BencodeException("Integer does not fit in 64 bits", start);
            }

            value = (value * 10) - digit;
            p++;
        }

        if (p == firstDigit)
        {
            throw new BencodeException(p < _data.Length ? $"Integer has no digits (found {Describe(_data[p])})" : "Input ends inside an integer", p);
        }

        if (_data[firstDigit] == (byte)'0' && (negative || p - firstDigit > 1))
        {
            throw new BencodeException(negative ? "Integer is negative zero" : "Integer has a leading zero", firstDigit);
        }

        if (p >= _data.Length)
        {
            throw new BencodeException("Input ends inside an integer", p);
        }

        if (_data[p] != (byte)'e')
        {
            throw new BencodeException($"Integer ends with {Describe(_data[p])} instead of 'e'", p);
        }

        if (!negative && value == long.MinValue)
        {
            throw new BencodeException("Integer does not fit in 64 bits", start);
        }

        _position = p + 1;
        return negative ? value : -value;
    }

    private void ParseString()
    {
        var start = _position;
        var p = _position;
        long length = 0;
        while (p < _data.Length && _data[p] is >= (byte)'0' and <= (byte)'9')
        {
            length = (length * 10) + (_data[p] - '0');
            if (length > _data.Length)
            {
                throw new BencodeException("Byte string is longer than the input", start);
            }

            p++;
        }

        if (p >= _data.Length)
        {
            throw new BencodeException("Input ends inside a byte string's length", p);
        }

        if (_data[p] != (byte)':')
        {
            throw new BencodeException($"Byte string length ends with {Describe(_data[p])} instead of ':'", p);
        }

        if (_data[start] == (byte)'0' && p - start > 1)
        {
            throw new BencodeException("Byte string length has a leading zero", start);
        }

        p++;
        if (length > _data.Length - p)
        {
            throw new BencodeException($"Byte string declares {length} bytes but only {_data.Length - p} remain", start);
        }

        _stringStart = p;
        _stringLength = (int)length;
        _position = p + (int)length;
    }

    private static string Describe(byte b) =>
        b is >= 0x21 and < 0x7f ? $"'{(char)b}'" : $"byte 0x{b:x2}";
}
