using System.Buffers;
using System.Text.Json;

namespace Gateway.Core.Catalog;

/// <summary>
/// Streams <c>manifest.json</c> with <see cref="Utf8JsonReader"/> through a buffer the size of the largest entry:
/// each <c>files[]</c> entry goes straight into a <see cref="CatalogColumnsBuilder"/>, so the document is never
/// held whole nor as objects.
/// </summary>
internal sealed class ManifestJsonLoader(bool keepModified)
{
    private readonly CatalogColumnsBuilder _builder = new(keepModified);
    private readonly List<ManifestTorrent> _torrents = [];
    private readonly ArrayBufferWriter<byte> _chunkHashes = new();
    private JsonReaderState _state;
    private Phase _phase;
    private int? _format;
    private DateTimeOffset _generated;
    private bool _hasFiles;

    private enum Phase
    {
        Start,
        Top,
        Files,
        Torrents,
        Done,
    }

    public static async Task<CatalogTable> LoadAsync(Stream stream, bool keepModified, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var loader = new ManifestJsonLoader(keepModified);
        var buffer = new byte[1 << 16];
        var filled = 0;
        var final = false;
        try
        {
            while (loader._phase != Phase.Done)
            {
                if (!final && filled < buffer.Length)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                    filled += read;
                    final = read == 0;
                }

                var consumed = loader.Feed(buffer.AsSpan(0, filled));
                if (loader._phase == Phase.Done)
                {
                    break;
                }

                if (consumed == 0 && final)
                {
                    throw new InvalidDataException($"The manifest is not valid JSON: it ends early (truncated) {loader.Position()}.");
                }

                if (consumed == 0 && filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The manifest is not valid JSON: {ex.Message} {loader.Position()}", ex);
        }

        return loader.Finish();
    }

    private string Position() => _phase switch
    {
        Phase.Files => $"(after files[{_builder.Count - 1}])",
        Phase.Torrents => $"(after torrents[{_torrents.Count - 1}])",
        _ => "(at the top level)",
    };

    private CatalogTable Finish()
    {
        if (_format != Manifest.CurrentFormat)
        {
            throw new InvalidDataException(_format is null ? "The manifest has no \"format\"." : $"The manifest has format {_format}; this gateway reads format {Manifest.CurrentFormat}.");
        }

        if (!_hasFiles)
        {
            throw new InvalidDataException("The manifest has no \"files\" array.");
        }

        return _builder.Build(_generated, _torrents);
    }

    // Reads every whole token in data and returns how many bytes that was; a value cut by the buffer's end is read
    // again with more data. Never a final block: a manifest ends with '}', so data that stops before it is truncated.
    private int Feed(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data, isFinalBlock: false, _state);
        var saved = reader;
        while (_phase != Phase.Done)
        {
            saved = reader;
            if (!reader.Read() || !Step(ref reader))
            {
                reader = saved;
                break;
            }
        }

        _state = reader.CurrentState;
        return (int)reader.BytesConsumed;
    }

    // One token (and the value it introduces); false when that value is not whole in the buffer yet.
    private bool Step(ref Utf8JsonReader reader)
    {
        switch (_phase)
        {
            case Phase.Start:
                Expect(ref reader, JsonTokenType.StartObject, "the manifest must be a JSON object");
                _phase = Phase.Top;
                return true;
            case Phase.Top when reader.TokenType == JsonTokenType.EndObject:
                _phase = Phase.Done;
                return true;
            case Phase.Top:
                return TopProperty(ref reader);
            case Phase.Files or Phase.Torrents when reader.TokenType == JsonTokenType.EndArray:
                _phase = Phase.Top;
                return true;
            default:
                var probe = reader;
                if (!probe.TrySkip())
                {
                    return false;
                }

                if (_phase == Phase.Files)
                {
                    ReadFile(ref reader);
                }
                else
                {
                    _torrents.Add(JsonSerializer.Deserialize(ref reader, ManifestJsonContext.Default.ManifestTorrent)
                        ?? throw new InvalidDataException($"torrents[{_torrents.Count}] is null."));
                }

                return true;
        }
    }

    private bool TopProperty(ref Utf8JsonReader reader)
    {
        var name = reader.ValueSpan;
        if (name.SequenceEqual("files"u8) || name.SequenceEqual("torrents"u8))
        {
            var files = name.SequenceEqual("files"u8);
            if (!reader.Read())
            {
                return false;
            }

            if (!files && reader.TokenType == JsonTokenType.Null)
            {
                return true;
            }

            Expect(ref reader, JsonTokenType.StartArray, files ? "\"files\" must be an array" : "\"torrents\" must be an array");
            _hasFiles |= files;
            _phase = files ? Phase.Files : Phase.Torrents;
            return true;
        }

        var format = name.SequenceEqual("format"u8);
        var generated = name.SequenceEqual("generated"u8);
        if (!reader.TrySkip())
        {
            return false;
        }

        if (format)
        {
            _format = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : -1;
        }
        else if (generated)
        {
            _generated = reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var when) ? when
                : throw new InvalidDataException("\"generated\" must be an RFC 3339 time.");
        }

        return true;
    }

    // One whole files[] object, read field by field into the builder without a ManifestFile in between.
    private void ReadFile(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"files[{_builder.Count}] must be an object");
        string? path = null;
        string? content = null;
        var contentIsSha = false;
        long size = 0;
        long modified = 0;
        Span<byte> sha = stackalloc byte[CatalogTable.DigestLength];
        var shaValid = false;
        byte[]? shaHex = null;
        var chunkSize = 0;
        string? chunkProblem = null;
        List<string>? torrents = null;
        _chunkHashes.ResetWrittenCount();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader);
            reader.Read();
            switch (field)
            {
                case "path":
                    path = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    break;
                case "size":
                    size = reader.GetInt64();
                    break;
                case "modified":
                    modified = reader.TokenType == JsonTokenType.Number ? reader.GetInt64() : 0;
                    break;
                case "sha256":
                    shaValid = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && TryLowerHex(reader.ValueSpan, sha);
                    shaHex = shaValid ? reader.ValueSpan.ToArray() : null;
                    break;
                case "content":
                    if (reader.TokenType == JsonTokenType.String && shaHex is not null && !reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual(shaHex))
                    {
                        contentIsSha = true;
                    }
                    else
                    {
                        content = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    }

                    break;
                case "torrents" when reader.TokenType == JsonTokenType.StartArray:
                    torrents = [];
                    while (reader.Read() && reader.TokenType == JsonTokenType.String)
                    {
                        torrents.Add(reader.GetString()!);
                    }

                    break;
                case "chunks" when reader.TokenType == JsonTokenType.StartObject:
                    chunkProblem = ReadChunks(ref reader, out chunkSize);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        _builder.Add(path, size, shaValid ? sha : default, content, contentIsSha, modified, chunkSize, _chunkHashes.WrittenSpan, chunkProblem, torrents);
    }

    private static string FieldOf(ref Utf8JsonReader reader)
    {
        foreach (var known in KnownFields)
        {
            if (reader.ValueTextEquals(known))
            {
                return known;
            }
        }

        return string.Empty;
    }

    private static readonly string[] KnownFields = ["path", "size", "sha256", "content", "modified", "torrents", "chunks"];

    private string? ReadChunks(ref Utf8JsonReader reader, out int chunkSize)
    {
        chunkSize = 0;
        string? problem = null;
        var hashes = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isSize = reader.ValueTextEquals("size"u8);
            var isHashes = reader.ValueTextEquals("sha256"u8);
            reader.Read();
            if (isSize && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
            {
                chunkSize = value;
            }
            else if (isHashes && reader.TokenType == JsonTokenType.StartArray)
            {
                hashes = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || !TryLowerHex(reader.ValueSpan, _chunkHashes.GetSpan(CatalogTable.DigestLength)))
                    {
                        problem ??= "every hash must be 64 lowercase hex digits.";
                        continue;
                    }

                    _chunkHashes.Advance(CatalogTable.DigestLength);
                }
            }
            else
            {
                reader.Skip();
            }
        }

        if (chunkSize < 1 || !hashes)
        {
            chunkSize = 0;
            return "size must be at least 1 and sha256 a list.";
        }

        return problem;
    }

    private static bool TryLowerHex(ReadOnlySpan<byte> hex, Span<byte> digest) =>
        hex.Length == 2 * CatalogTable.DigestLength && hex.IndexOfAnyExcept(LowerHex) < 0
        && Convert.FromHexString(hex, digest[..CatalogTable.DigestLength], out _, out _) == OperationStatus.Done;

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (reader.TokenType != type)
        {
            throw new InvalidDataException($"The manifest is not valid: {what}, found {reader.TokenType}.");
        }
    }

    private static readonly SearchValues<byte> LowerHex = SearchValues.Create("0123456789abcdef"u8);
}
