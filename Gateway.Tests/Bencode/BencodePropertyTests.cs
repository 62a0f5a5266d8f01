using System.Buffers;
using CsCheck;
using Gateway.Core.Bencode;

namespace Gateway.Tests.Bencode;

public sealed class BencodePropertyTests
{
    [Fact]
    public void Any_value_round_trips_through_encode_and_decode_byte_for_byte()
    {
        BencodeGenerators.Value.Sample(value =>
        {
            var encoded = value.Encode();
            var decoded = BencodeDecoder.Decode(encoded);
            Assert.Equal(encoded, decoded.Encode());
        }, iter: 5_000, print: BencodeGenerators.Print);
    }

    [Fact]
    public void The_streaming_writer_and_the_value_model_write_the_same_bytes()
    {
        BencodeGenerators.Value.Sample(value =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            var writer = new BencodeWriter(buffer);
            Copy(BencodeDecoder.Decode(value.Encode()), writer);
            Assert.True(writer.IsComplete);
            Assert.Equal(value.Encode(), buffer.WrittenSpan.ToArray());
        }, iter: 2_000, print: BencodeGenerators.Print);
    }

    [Fact]
    public void Arbitrary_bytes_either_decode_canonically_or_throw_only_BencodeException()
    {
        Gen.Byte.Array[0, 64].Sample(AssertStrict, iter: 20_000);
    }

    [Fact]
    public void Bencode_like_noise_either_decodes_canonically_or_throws_only_BencodeException()
    {
        // Random bytes rarely look like bencode; strings of its own alphabet reach the deeper branches.
        var alphabet = "ilde0123456789:-"u8.ToArray();
        Gen.Int[0, alphabet.Length - 1].Select(i => alphabet[i]).Array[0, 40].Sample(AssertStrict, iter: 20_000);
    }

    [Fact]
    public void Truncated_encodings_always_throw_BencodeException()
    {
        Gen.Select(BencodeGenerators.Value, Gen.Double[0, 1]).Sample((value, fraction) =>
        {
            var encoded = value.Encode();
            var cut = (int)(fraction * (encoded.Length - 1));
            var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(encoded.AsMemory(0, cut)));
            Assert.InRange(error.Offset, 0, cut);
        }, iter: 5_000);
    }

    [Fact]
    public void Mutated_encodings_either_decode_canonically_or_throw_only_BencodeException()
    {
        Gen.Select(BencodeGenerators.Value, Gen.Int[0, int.MaxValue], Gen.Byte, Gen.Int[0, 2]).Sample((value, where, newByte, kind) =>
        {
            var encoded = value.Encode().ToList();
            var at = where % encoded.Count;
            switch (kind)
            {
                case 0: encoded[at] = newByte; break;
                case 1: encoded.Insert(at, newByte); break;
                default: encoded.RemoveAt(at); break;
            }

            AssertStrict([.. encoded]);
        }, iter: 10_000);
    }

    [Fact]
    public void Raw_value_of_a_top_level_key_is_exactly_the_bytes_the_value_encodes_to()
    {
        Gen.Select(BencodeGenerators.Value, BencodeGenerators.Value).Sample((info, other) =>
        {
            var document = new BencodeDictionary(new Dictionary<string, BencodeValue> { ["info"] = info, ["announce"] = other, ["z"] = other }).Encode();
            Assert.True(BencodeDecoder.TryGetRawValue(document, "info"u8, out var range));
            Assert.Equal(info.Encode(), document[range]);
            Assert.False(BencodeDecoder.TryGetRawValue(document, "infx"u8, out _));
        }, iter: 2_000);
    }

    private static void AssertStrict(byte[] input)
    {
        BencodeValue decoded;
        try
        {
            decoded = BencodeDecoder.Decode(input);
        }
        catch (BencodeException error)
        {
            Assert.InRange(error.Offset, 0, input.Length);
            return;
        }

        // A strict decoder accepts only the canonical encoding, so whatever it accepted re-encodes identically.
        Assert.Equal(input, decoded.Encode());
    }

    private static void Copy(BencodeValue value, BencodeWriter writer)
    {
        switch (value)
        {
            case BencodeInteger integer: writer.WriteInteger(integer.Value); break;
            case BencodeString text: writer.WriteString(text.Bytes.Span); break;
            case BencodeList list:
                writer.WriteStartList();
                foreach (var item in list)
                {
                    Copy(item, writer);
                }

                writer.WriteEnd();
                break;
            case BencodeDictionary dictionary:
                writer.WriteStartDictionary();
                foreach (var (key, item) in dictionary)
                {
                    writer.WriteKey(key.Span);
                    Copy(item, writer);
                }

                writer.WriteEnd();
                break;
        }
    }
}
