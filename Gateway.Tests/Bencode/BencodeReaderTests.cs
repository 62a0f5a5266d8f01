using System.Buffers;
using System.Text;
using Gateway.Core.Bencode;

namespace Gateway.Tests.Bencode;

public sealed class BencodeReaderTests
{
    [Theory]
    [InlineData("i42e")]
    [InlineData("i-42e")]
    [InlineData("i0e")]
    [InlineData("i9223372036854775807e")]
    [InlineData("i-9223372036854775808e")]
    [InlineData("0:")]
    [InlineData("4:spam")]
    [InlineData("le")]
    [InlineData("de")]
    [InlineData("l4:spami42ee")]
    [InlineData("d3:bar4:spam3:fooi42ee")]
    [InlineData("d1:ad1:bli1eee1:bdee")]
    [InlineData("d0:i1e1:ai2ee")]
    public void Canonical_encodings_decode_and_encode_back_unchanged(string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        Assert.Equal(bytes, BencodeDecoder.Decode(bytes).Encode());
    }

    [Theory]
    [InlineData("", 0, "empty")]
    [InlineData("i01e", 1, "leading zero")]
    [InlineData("i-0e", 2, "negative zero")]
    [InlineData("ie", 1, "no digits")]
    [InlineData("i-e", 2, "no digits")]
    [InlineData("i+1e", 1, "no digits")]
    [InlineData("i1", 2, "ends inside an integer")]
    [InlineData("i1x", 2, "instead of 'e'")]
    [InlineData("i9223372036854775808e", 0, "64 bits")]
    [InlineData("i-9223372036854775809e", 0, "64 bits")]
    [InlineData("i99999999999999999999e", 0, "64 bits")]
    [InlineData("03:abc", 0, "leading zero")]
    [InlineData("5:abc", 0, "declares 5 bytes but only 3 remain")]
    [InlineData("3abc", 1, "instead of ':'")]
    [InlineData("-1:a", 0, "where a value should start")]
    [InlineData("l", 1, "ends inside")]
    [InlineData("li1e", 4, "ends inside")]
    [InlineData("e", 0, "outside any list")]
    [InlineData("i1ei2e", 3, "trailing data")]
    [InlineData("lee", 2, "trailing data")]
    [InlineData("d3:fooi1e3:bari2ee", 9, "ascending byte order")]
    [InlineData("d3:fooi1e3:fooi2ee", 9, "Duplicate")]
    [InlineData("di1ei2ee", 1, "key must be a byte string")]
    [InlineData("dlei2ee", 1, "key must be a byte string")]
    [InlineData("d3:fooe", 6, "no value")]
    [InlineData("x", 0, "'x'")]
    public void Malformed_input_throws_BencodeException_naming_the_problem_and_its_offset(string text, int offset, string message)
    {
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(Encoding.Latin1.GetBytes(text)));
        Assert.Equal(offset, error.Offset);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains($"at byte {offset}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_beyond_the_depth_limit_is_rejected_and_nesting_at_the_limit_is_accepted()
    {
        var limits = new BencodeLimits { MaxDepth = 5 };
        var atLimit = Encoding.ASCII.GetBytes(new string('l', 5) + new string('e', 5));
        var beyond = Encoding.ASCII.GetBytes(new string('l', 6) + new string('e', 6));
        BencodeDecoder.Decode(atLimit, limits);
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(beyond, limits));
        Assert.Equal(5, error.Offset);
        Assert.Contains("deeper than the limit of 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_nesting_a_million_deep_is_rejected_without_exhausting_the_stack()
    {
        var bytes = new byte[1_000_000];
        bytes.AsSpan().Fill((byte)'l');
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(bytes));
        Assert.Equal(BencodeLimits.Default.MaxDepth, error.Offset);
    }

    [Fact]
    public void Input_larger_than_the_size_limit_is_rejected_before_reading()
    {
        var limits = new BencodeLimits { MaxSize = 10 };
        BencodeDecoder.Decode("8:01234567"u8.ToArray(), limits);
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode("9:012345678"u8.ToArray(), limits));
        Assert.Contains("exceeds the limit of 10 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_length_larger_than_the_input_is_rejected_without_allocating_it()
    {
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode("99999999999999999999999:x"u8.ToArray()));
        Assert.Contains("longer than the input", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_reader_walks_tokens_and_skips_whole_values()
    {
        var reader = new BencodeReader("d1:ad1:xli1ei2eee1:bi7ee"u8);
        Assert.True(reader.Read());
        Assert.Equal(BencodeTokenType.StartDictionary, reader.TokenType);
        Assert.True(reader.Read());
        Assert.Equal(BencodeTokenType.Key, reader.TokenType);
        Assert.True(reader.StringValue.SequenceEqual("a"u8));
        reader.Skip();
        Assert.Equal(BencodeTokenType.EndDictionary, reader.TokenType);
        Assert.True(reader.Read());
        Assert.True(reader.StringValue.SequenceEqual("b"u8));
        Assert.True(reader.Read());
        Assert.Equal(7, reader.IntegerValue);
        Assert.True(reader.Read());
        Assert.Equal(BencodeTokenType.EndDictionary, reader.TokenType);
        Assert.False(reader.Read());
    }

    [Fact]
    public void The_writer_refuses_keys_out_of_order_duplicate_keys_and_values_without_keys()
    {
        var writer = new BencodeWriter(new ArrayBufferWriter<byte>());
        writer.WriteStartDictionary();
        writer.WriteKey("b");
        writer.WriteInteger(1);
        Assert.Contains("ascending byte order", Assert.Throws<InvalidOperationException>(() => writer.WriteKey("a")).Message, StringComparison.Ordinal);
        Assert.Contains("Duplicate", Assert.Throws<InvalidOperationException>(() => writer.WriteKey("b")).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => writer.WriteInteger(2));
        writer.WriteKey("c");
        Assert.Throws<InvalidOperationException>(() => writer.WriteEnd());
    }

    [Fact]
    public void The_writer_checks_key_order_per_dictionary_when_dictionaries_nest()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteKey("m");
        writer.WriteStartDictionary();
        writer.WriteKey("z");
        writer.WriteInteger(1);
        writer.WriteEnd();
        writer.WriteKey("n");
        writer.WriteString("v");
        writer.WriteEnd();
        Assert.True(writer.IsComplete);
        Assert.Equal("d1:md1:zi1ee1:n1:ve", Encoding.ASCII.GetString(buffer.WrittenSpan));
        Assert.Throws<InvalidOperationException>(() => writer.WriteInteger(1));
    }
}
