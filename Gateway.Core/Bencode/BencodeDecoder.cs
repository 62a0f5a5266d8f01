namespace Gateway.Core.Bencode;

/// <summary>Decodes one complete, canonical bencode value into the <see cref="BencodeValue"/> model.</summary>
public static class BencodeDecoder
{
    /// <summary>
    /// Decodes <paramref name="data"/>; byte strings in the result are slices of it (keep it unchanged while
    /// the result is used). Throws only <see cref="BencodeException"/> on bad input.
    /// </summary>
    public static BencodeValue Decode(ReadOnlyMemory<byte> data, BencodeLimits? limits = null)
    {
        var reader = new BencodeReader(data.Span, limits);
        reader.Read();
        var value = ReadValue(ref reader, data);
        if (reader.Read())
        {
            // Unreachable: the reader reports the end of the top-level value or throws on trailing data.
            throw new BencodeException("Unexpected data after the value", reader.TokenStart);
        }

        return value;
    }

    /// <summary>
    /// Finds the value of <paramref name="key"/> in the top-level dictionary of <paramref name="data"/>, after
    /// checking the whole input. Returns its exact encoded bytes (for the <c>info</c> dictionary of a
    /// .torrent, the bytes whose SHA-1 is the info hash), or false when the key is absent.
    /// </summary>
    public static bool TryGetRawValue(ReadOnlySpan<byte> data, ReadOnlySpan<byte> key, out Range range, BencodeLimits? limits = null)
    {
        var reader = new BencodeReader(data, limits);
        reader.Read();
        if (reader.TokenType != BencodeTokenType.StartDictionary)
        {
            throw new BencodeException("The document is not a dictionary", reader.TokenStart);
        }

        range = default;
        var found = false;
        while (reader.Read() && reader.TokenType == BencodeTokenType.Key)
        {
            var isKey = reader.StringValue.SequenceEqual(key);
            reader.Read();
            var start = reader.TokenStart;
            reader.Skip();
            if (isKey)
            {
                range = start..reader.Position;
                found = true;
            }
        }

        reader.ReadToEnd();
        return found;
    }

    private static BencodeValue ReadValue(ref BencodeReader reader, ReadOnlyMemory<byte> data)
    {
        switch (reader.TokenType)
        {
            case BencodeTokenType.Integer:
                return new BencodeInteger(reader.IntegerValue);
            case BencodeTokenType.String:
                return new BencodeString(data.Slice(reader.StringStart, reader.StringValue.Length));
            case BencodeTokenType.StartList:
                var items = new List<BencodeValue>();
                while (reader.Read() && reader.TokenType != BencodeTokenType.EndList)
                {
                    items.Add(ReadValue(ref reader, data));
                }

                return new BencodeList(items);
            case BencodeTokenType.StartDictionary:
                var entries = new List<KeyValuePair<ReadOnlyMemory<byte>, BencodeValue>>();
                while (reader.Read() && reader.TokenType == BencodeTokenType.Key)
                {
                    var key = data.Slice(reader.StringStart, reader.StringValue.Length);
                    reader.Read();
                    entries.Add(new(key, ReadValue(ref reader, data)));
                }

                return BencodeDictionary.FromSorted([.. entries]);
            default:
                throw new BencodeException($"Unexpected {reader.TokenType}", reader.TokenStart);
        }
    }
}
