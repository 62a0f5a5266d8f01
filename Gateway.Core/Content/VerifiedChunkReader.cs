using System.Buffers;
using System.Net;
using System.Net.Http.Headers;

namespace Gateway.Core.Content;

/// <summary>How one source's response went, as <see cref="VerifiedChunkReader.ReadAsync"/> found it.</summary>
public enum SourceOutcome
{
    /// <summary>Every chunk due was verified and went to the customer.</summary>
    Completed,

    /// <summary>Every chunk due went to the customer, but the source sent bytes past the end of the file (an alteration to report).</summary>
    ExtraBytes,

    /// <summary>The source answered another status than the 200 (206 for a range) due; nothing was read.</summary>
    WrongStatus,

    /// <summary>The source's Content-Length or Content-Range is not the one due; nothing was read.</summary>
    WrongHeaders,

    /// <summary>The body ended before the last chunk due was complete.</summary>
    Truncated,

    /// <summary>A chunk's SHA-256 did not match; none of it went out.</summary>
    Mismatch,
}

/// <summary>
/// One source's result: its outcome and, for anything but <see cref="SourceOutcome.Completed"/>, what was wrong;
/// <paramref name="IgnoredRange"/> when it answered a Range request with the whole file (read from the start, the
/// bytes before the range skipped).
/// </summary>
public readonly record struct SourceResult(SourceOutcome Outcome, string? Reason, bool IgnoredRange = false)
{
    /// <summary>True when the customer got every byte due from this source.</summary>
    public bool IsComplete => Outcome is SourceOutcome.Completed or SourceOutcome.ExtraBytes;

    /// <summary>True when the source sent bytes or headers that contradict the published file (a tamperer, not a failure).</summary>
    public bool IsAltered => Outcome is SourceOutcome.ExtraBytes or SourceOutcome.WrongHeaders or SourceOutcome.Truncated or SourceOutcome.Mismatch;
}

/// <summary>
/// One customer's verified download across its sources: reads a source's body straight into the
/// <see cref="ChunkVerifier"/>, hands each chunk to the customer only after its SHA-256 matched, and stops at the
/// first chunk that did not, so the next source continues from <see cref="ChunkVerifier.ResumeOffset"/> with
/// <see cref="RangeDue"/>. Shared by the gateway's verified proxy body and <c>verify-proxy</c>'s piece delivery, so
/// the checks on a source's status, length, range, truncation and trailing bytes are written once.
/// </summary>
public sealed class VerifiedChunkReader
{
    private readonly ChunkVerifier _verifier;
    private readonly VerifiedChunkWriter _writer;
    private readonly long _fileSize;

    public VerifiedChunkReader(HttpContext context, ByteRange range, ChunkVerifier verifier, long fileSize)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        _verifier = verifier;
        _fileSize = fileSize;
        _writer = new VerifiedChunkWriter(context, range, verifier);
    }

    public ChunkVerifier Verifier => _verifier;

    /// <summary>True once the status line and the first verified bytes went out.</summary>
    public bool Started => _writer.Started;

    /// <summary>Bytes handed to the customer so far.</summary>
    public long BytesSent => _writer.BytesSent;

    /// <summary>True when the next source must be asked for a range rather than the whole file.</summary>
    public bool IsRanged => _verifier.ResumeOffset != 0 || _verifier.EndOffset != _fileSize;

    /// <summary>The Range the next source must be asked for (from the first unverified chunk), or null for the whole file.</summary>
    public RangeHeaderValue? RangeDue => IsRanged ? new RangeHeaderValue(_verifier.ResumeOffset, _verifier.EndOffset - 1) : null;

    /// <summary>Waits for the chunk still being written; false when the customer went away.</summary>
    public Task<bool> DrainAsync() => _writer.DrainAsync();

    /// <summary>Drops the partial chunk of a source that failed; the next one starts at the first unverified chunk.</summary>
    public void Restart() => _verifier.Restart();

    /// <summary>
    /// Reads <paramref name="response"/> (asked for <see cref="RangeDue"/>) until every chunk due went out or the source
    /// proved wrong. Each read must come within <paramref name="timeout"/> (<paramref name="silence"/> is cancelled
    /// after it); a transport error, a silence or the customer leaving surfaces as the stream's exception, for the
    /// caller to tell apart. <paramref name="writeHeaders"/> sets the customer's status and headers before the first chunk.
    /// </summary>
    public async Task<SourceResult> ReadAsync<TState>(
        HttpResponseMessage response, CancellationTokenSource silence, TimeSpan timeout, Action<HttpResponse, HttpResponseMessage, TState> writeHeaders, TState state)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(silence);
        var verifier = _verifier;
        var from = verifier.ResumeOffset;
        var to = verifier.EndOffset;
        var ranged = IsRanged;

        // A server that ignores Range (Python's http.server, some CDNs) answers 200 with the whole file, which
        // HTTP allows: the bytes before the range are read and dropped, the rest verified as usual.
        var whole = ranged && response.StatusCode == HttpStatusCode.OK;
        if (response.StatusCode != (ranged && !whole ? HttpStatusCode.PartialContent : HttpStatusCode.OK))
        {
            return new SourceResult(SourceOutcome.WrongStatus, $"answered {(int)response.StatusCode}");
        }

        var headers = response.Content.Headers;
        var due = whole ? _fileSize : to - from;
        if (headers.ContentLength is { } length && length != due)
        {
            return new SourceResult(SourceOutcome.WrongHeaders, $"Content-Length {length} where {due} was due{(whole ? " (the whole file, for a Range request it ignored)" : "")}", whole);
        }

        if (ranged && !whole && (headers.ContentRange is not { From: { } rangeFrom, To: { } rangeTo, Length: { } total }
            || rangeFrom != from || rangeTo != to - 1 || total != _fileSize))
        {
            return new SourceResult(SourceOutcome.WrongHeaders, $"Content-Range '{headers.ContentRange}' where bytes {from}-{to - 1}/{_fileSize} was due");
        }

        var body = await response.Content.ReadAsStreamAsync(silence.Token).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            if (whole && !await SkipAsync(body, from, silence, timeout).ConfigureAwait(false))
            {
                return new SourceResult(SourceOutcome.Truncated, $"body ended before byte {from} (the whole file, for a Range request it ignored)", whole);
            }

            while (!verifier.IsComplete)
            {
                silence.CancelAfter(timeout);
                var read = await body.ReadAsync(verifier.Free, silence.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return new SourceResult(SourceOutcome.Truncated, $"body ended at byte {verifier.ResumeOffset} of chunk {verifier.Current} (truncated)", whole);
                }

                var status = verifier.Advance(read);
                if (status == ChunkStatus.Mismatch)
                {
                    return new SourceResult(SourceOutcome.Mismatch, $"chunk {verifier.Current} (bytes from {verifier.ChunkOffset}) SHA-256 mismatch", whole);
                }

                if (status == ChunkStatus.Verified)
                {
                    // The write overlaps the next chunk's read (into the verifier's other buffer).
                    await _writer.WriteAsync(
                        static (customer, s) => s.WriteHeaders(customer, s.Response, s.State),
                        (WriteHeaders: writeHeaders, Response: response, State: state)).ConfigureAwait(false);
                    verifier.MoveNext();
                }
            }

            // Without a Content-Length the body's end is its own word: bytes past the file are an alteration too
            // (the customer got exactly the verified bytes; the source is still caught). A whole file sent for a range
            // that ends before the file's end is simply left unread (disposing the response drops the connection).
            if (headers.ContentLength is null && (!whole || to == _fileSize) && await body.ReadAsync(new byte[1], silence.Token).ConfigureAwait(false) > 0)
            {
                return new SourceResult(SourceOutcome.ExtraBytes, "extra bytes after the end of the file", whole);
            }
        }

        return new SourceResult(SourceOutcome.Completed, null, whole);
    }

    /// <summary>Reads and drops <paramref name="count"/> bytes, each read within <paramref name="timeout"/>; false when the body ends first.</summary>
    private static async Task<bool> SkipAsync(Stream body, long count, CancellationTokenSource silence, TimeSpan timeout)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (count > 0)
            {
                silence.CancelAfter(timeout);
                var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), silence.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return false;
                }

                count -= read;
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
