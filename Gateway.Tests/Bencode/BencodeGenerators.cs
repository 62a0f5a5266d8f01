using System.Text;
using CsCheck;
using Gateway.Core.Bencode;

namespace Gateway.Tests.Bencode;

/// <summary>Random bencode values of every shape, for property tests.</summary>
internal static class BencodeGenerators
{
    private static readonly Gen<BencodeValue> Scalar = Gen.OneOf<BencodeValue>(
        Gen.Long.Select(v => (BencodeValue)new BencodeInteger(v)),
        Gen.Int[-1000, 1000].Select(v => (BencodeValue)new BencodeInteger(v)),
        Gen.Byte.Array[0, 24].Select(b => (BencodeValue)new BencodeString(b)));

    public static readonly Gen<BencodeValue> Value = Gen.Recursive<BencodeValue>((depth, value) =>
        depth >= 4
            ? Scalar
            : Gen.Frequency(
                (3, Scalar),
                (1, value.List[0, 5].Select(items => (BencodeValue)new BencodeList(items))),
                (1, Gen.Select(Gen.Byte.Array[0, 6], value).List[0, 5].Select(ToDictionary))));

    public static string Print(BencodeValue value) => Encoding.Latin1.GetString(value.Encode());

    private static BencodeValue ToDictionary(List<(byte[] Key, BencodeValue Value)> pairs) =>
        new BencodeDictionary(pairs
            .DistinctBy(p => Convert.ToHexString(p.Key))
            .Select(p => new KeyValuePair<ReadOnlyMemory<byte>, BencodeValue>(p.Key, p.Value)));
}
