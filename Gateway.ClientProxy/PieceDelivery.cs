using System.Net;
using System.Net.Http.Headers;
using Gateway.Core.Content;
namespace Gateway.ClientProxy;

/// <summary>
/// Hands a customer the pieces covering its range, each only after its SHA-256 matched the gateway's, streaming as
/// it goes (nothing spooled). A source that fails or sends a bad piece is left for the next one, which continues at
/// the first unverified piece with a Range request; the customer sees one 200 or 206.
/// </summary>
public sealed partial class PieceDelivery(HttpMessageInvoker http, ILogger logger)
{
    /// <summary>What a source did wrong, for the caller to report.</summary>
    public delegate Task AlteredCallback(Uri source, string observed);

    private enum Outcome
    {
        Completed,
        Failed,
        ClientGone,
    }

    /// <summary>
    /// Serves <paramref name="range"/> of the file from <paramref name="sources"/> in order (the first may already be
    /// open as <paramref name="opened"/>, a whole-file 200). True when the customer got every byte or went away;
    /// false when no source served the pieces (the caller answers 502, or the connection is aborted if bytes went out).
    /// </summary>
    public async Task<bool> DeliverAsync(
        HttpContext context, FileFacts facts, ChunkLayout layout, ByteRange range, IReadOnlyList<Uri> sources, HttpResponseMessage? opened,
        TimeSpan timeout, AlteredCallback altered)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(altered);
        using var verifier = new ChunkVerifier(layout, layout.ChunkOf(range.Start), layout.ChunkOf(range.End));
        var writer = new VerifiedWriter(context, facts, range, verifier);
        foreach (var source in sources)
        {
            var outcome = await AttemptAsync(writer, source, opened, timeout, altered).ConfigureAwait(false);
            opened = null;
            if (!await writer.DrainAsync().ConfigureAwait(false) || outcome == Outcome.ClientGone)
            {
                return true;
            }

            if (outcome == Outcome.Completed)
            {
                return true;
            }

            verifier.Restart();
        }

        if (writer.Started)
        {
            context.Abort();
            return true;
        }

        return false;
    }

    private async Task<Outcome> AttemptAsync(VerifiedWriter writer, Uri source, HttpResponseMessage? opened, TimeSpan timeout, AlteredCallback altered)
    {
        var verifier = writer.Verifier;
        var aborted = writer.Context.RequestAborted;
        var from = verifier.ResumeOffset;
        var to = verifier.EndOffset;
        var size = writer.Facts.Size;
        var ranged = from != 0 || to != size;
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        silence.CancelAfter(timeout);
        HttpResponseMessage? sent = null;
        try
        {
            if (opened is null || ranged)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, source) { Version = HttpVersion.Version11 };
                if (ranged)
                {
                    request.Headers.Range = new RangeHeaderValue(from, to - 1);
                }

                sent = await http.SendAsync(request, silence.Token).ConfigureAwait(false);
            }

            var response = sent ?? opened!;
            if (response.StatusCode != (ranged ? HttpStatusCode.PartialContent : HttpStatusCode.OK))
            {
                return Failed(source, from, $"answered {(int)response.StatusCode}");
            }

            var headers = response.Content.Headers;
            if (headers.ContentLength is { } length && length != to - from)
            {
                return await AlteredAsync(altered, source, from, $"Content-Length {length} where {to - from} was due", "?").ConfigureAwait(false);
            }

            if (ranged && (headers.ContentRange is not { From: { } rangeFrom, To: { } rangeTo, Length: { } total }
                || rangeFrom != from || rangeTo != to - 1 || total != size))
            {
                return await AlteredAsync(altered, source, from, $"Content-Range '{headers.ContentRange}' where bytes {from}-{to - 1}/{size} was due", "?").ConfigureAwait(false);
            }

            writer.ContentType ??= headers.ContentType?.ToString();
            writer.LastModified ??= headers.LastModified;
            var body = await response.Content.ReadAsStreamAsync(silence.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (!verifier.IsComplete)
                {
                    silence.CancelAfter(timeout);
                    var read = await body.ReadAsync(verifier.Free, silence.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return await AlteredAsync(altered, source, verifier.ResumeOffset, "body ended early", "?").ConfigureAwait(false);
                    }

                    var status = verifier.Advance(read);
                    if (status == ChunkStatus.Mismatch)
                    {
                        return await AlteredAsync(altered, source, verifier.ChunkOffset, $"piece {verifier.Current} SHA-256 mismatch", Convert.ToHexStringLower(verifier.LastHash)).ConfigureAwait(false);
                    }

                    if (status == ChunkStatus.Verified)
                    {
                        await writer.WriteVerifiedChunkAsync().ConfigureAwait(false);
                        verifier.MoveNext();
                    }
                }

                // Without a Content-Length the body's end is its own word: bytes past the file are an alteration.
                if (headers.ContentLength is null && await body.ReadAsync(new byte[1], silence.Token).ConfigureAwait(false) > 0)
                {
                    await AlteredAsync(altered, source, size, "extra bytes after the end of the file", "?").ConfigureAwait(false);
                }
            }

            return Outcome.Completed;
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            return aborted.IsCancellationRequested ? Outcome.ClientGone
                : Failed(source, verifier.ResumeOffset, ex is OperationCanceledException ? $"silent for {timeout}" : ex.Message);
        }
        finally
        {
            sent?.Dispose();
        }
    }

    private Outcome Failed(Uri source, long offset, string reason)
    {
        LogFailed(logger, source, offset, reason);
        return Outcome.Failed;
    }

    private async Task<Outcome> AlteredAsync(AlteredCallback altered, Uri source, long offset, string reason, string observed)
    {
        LogAltered(logger, source, offset, reason);
        await altered(source, observed).ConfigureAwait(false);
        return Outcome.Failed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Source} failed from byte {Offset} ({Reason}); continuing there on the next source")]
    private static partial void LogFailed(ILogger logger, Uri source, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Source} sent altered bytes from byte {Offset} ({Reason}); refused, continuing there on the next source")]
    private static partial void LogAltered(ILogger logger, Uri source, long offset, string reason);

    /// <summary>One customer's download across its sources: the verifier, what the first source said of the type, and the writer.</summary>
    private sealed class VerifiedWriter(HttpContext context, FileFacts facts, ByteRange range, ChunkVerifier verifier)
    {
        private readonly VerifiedChunkWriter _writer = new(context, range, verifier);

        public HttpContext Context { get; } = context;

        public FileFacts Facts { get; } = facts;

        public ChunkVerifier Verifier { get; } = verifier;

        public string? ContentType { get; set; }

        public DateTimeOffset? LastModified { get; set; }

        public bool Started => _writer.Started;

        public Task<bool> DrainAsync() => _writer.DrainAsync();

        public Task WriteVerifiedChunkAsync() => _writer.WriteAsync(static (response, self) => self.WriteHeaders(response), this);

        private void WriteHeaders(HttpResponse response)
        {
            VerifiedHeaders.Write(response, Facts, range);
            response.ContentType = ContentType ?? "application/octet-stream";
            if (LastModified is { } modified)
            {
                response.Headers.LastModified = modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }
}
