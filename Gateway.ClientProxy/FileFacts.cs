using System.Globalization;
using System.Xml;
using Gateway.Core.Content;

namespace Gateway.ClientProxy;

/// <summary>
/// What the gateway's metalink (<c>?meta4</c>) says about a file: its size, SHA-256 and, when it has them, its
/// SHA-256 piece hashes. The gateway is trusted; these are what a source's bytes are checked against.
/// </summary>
public sealed record FileFacts(long Size, byte[] Sha256, ChunkLayout? Pieces)
{
    private const string Namespace = "urn:ietf:params:xml:ns:metalink";

    /// <summary>
    /// The layout to verify with: the piece hashes, or the whole file as one piece when it has none and is at most
    /// <paramref name="maxWholeFile"/> bytes (held in memory); null when it must be spooled to disk whole.
    /// </summary>
    public ChunkLayout? Layout(long maxWholeFile) =>
        Pieces ?? (Size <= maxWholeFile ? new ChunkLayout(Size, (int)Math.Max(1, Size), Sha256) : null);

    /// <summary>Reads an RFC 5854 document with one file; null when it is not one or its hashes do not add up.</summary>
    public static FileFacts? TryRead(Stream metalink)
    {
        ArgumentNullException.ThrowIfNull(metalink);
        try
        {
            var document = new XmlDocument { XmlResolver = null };
            using (var reader = XmlReader.Create(metalink, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 16 * 1024 * 1024 }))
            {
                document.Load(reader);
            }

            var names = new XmlNamespaceManager(document.NameTable);
            names.AddNamespace("m", Namespace);
            var file = document.SelectSingleNode("/m:metalink/m:file", names);
            if (file?.SelectSingleNode("m:size", names)?.InnerText is not { } sizeText
                || !long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                || file.SelectSingleNode("m:hash[@type='sha-256']", names)?.InnerText is not { } hashText
                || !TryHex(hashText, out var sha256))
            {
                return null;
            }

            if (file.SelectSingleNode("m:pieces[@type='sha-256']", names) is not XmlElement pieces)
            {
                return new FileFacts(size, sha256, null);
            }

            if (!int.TryParse(pieces.GetAttribute("length"), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length <= 0)
            {
                return null;
            }

            var hashes = pieces.SelectNodes("m:hash", names)!;
            var all = new byte[hashes.Count * ChunkLayout.HashLength];
            var layout = new ChunkLayout(size, length, all);
            if (hashes.Count != layout.Count)
            {
                return null;
            }

            for (var i = 0; i < hashes.Count; i++)
            {
                if (!TryHex(hashes[i]!.InnerText, out var piece))
                {
                    return null;
                }

                piece.CopyTo(all, i * ChunkLayout.HashLength);
            }

            return new FileFacts(size, sha256, layout);
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static bool TryHex(string text, out byte[] hash)
    {
        hash = new byte[ChunkLayout.HashLength];
        return Convert.FromHexString(text.Trim(), hash, out _, out var written) == System.Buffers.OperationStatus.Done && written == ChunkLayout.HashLength;
    }
}
