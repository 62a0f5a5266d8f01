using System.Globalization;
using System.Text;
using System.Xml;
using Gateway.Core.Catalog;

namespace Gateway.Delivery.Mirrors;

/// <summary>Writes an RFC 5854 Metalink 4 document for one file: size, SHA-256, chunk hashes as pieces, mirrors by priority.</summary>
public static class MetalinkWriter
{
    private const string Namespace = "urn:ietf:params:xml:ns:metalink";

    /// <summary>The document as UTF-8 bytes (the XML declaration says so: aria2 refuses a document that claims UTF-16).</summary>
    public static byte[] Write(CatalogEntry entry, IReadOnlyList<MirrorUrl> mirrors, DateTimeOffset published)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(mirrors);
        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false) }))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("metalink", Namespace);
            xml.WriteElementString("generator", Namespace, "volunteer-gateway");
            xml.WriteElementString("published", Namespace, published.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            xml.WriteStartElement("file", Namespace);

            // The name is the last path segment only: a client writes it as a local file name.
            xml.WriteAttributeString("name", entry.Path[(entry.Path.LastIndexOf('/') + 1)..]);
            xml.WriteElementString("size", Namespace, entry.Size.ToString(CultureInfo.InvariantCulture));
            WriteHash(xml, entry.Sha256);
            if (entry.ChunkSize > 0)
            {
                xml.WriteStartElement("pieces", Namespace);
                xml.WriteAttributeString("length", entry.ChunkSize.ToString(CultureInfo.InvariantCulture));
                xml.WriteAttributeString("type", "sha-256");
                for (var i = 0; i < entry.ChunkHashes.Length; i += 32)
                {
                    xml.WriteElementString("hash", Namespace, Convert.ToHexStringLower(entry.ChunkHashes.Span.Slice(i, 32)));
                }

                xml.WriteEndElement();
            }

            foreach (var mirror in mirrors)
            {
                xml.WriteStartElement("url", Namespace);
                xml.WriteAttributeString("priority", mirror.Priority.ToString(CultureInfo.InvariantCulture));
                xml.WriteString(mirror.Url);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndElement();
        }

        return buffer.ToArray();
    }

    private static void WriteHash(XmlWriter xml, string sha256)
    {
        xml.WriteStartElement("hash", Namespace);
        xml.WriteAttributeString("type", "sha-256");
        xml.WriteString(sha256);
        xml.WriteEndElement();
    }
}
