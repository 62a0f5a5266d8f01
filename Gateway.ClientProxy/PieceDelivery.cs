using System.Net;
using Gateway.Core.Content;
using Gateway.Core.Reports;

namespace Gateway.ClientProxy;

/// <summary>
/// Hands a customer the pieces covering its range, each only after its SHA-256 matched the gateway's, streaming as
/// it goes (nothing spooled). A source that fails or sends a bad piece is left for the next one, which continues at
/// the first unverified piece with a Range request; the customer sees one 200 or 206. The reading and checking is
/// <see cref="VerifiedChunkReader"/>'s, the same as the gateway's verified proxying.
/// </summary>
public sealed partial class PieceDelivery(HttpMessageInvoker http, ILogger logger)
{
    /// <summary>What a source did wrong, for the caller to report: a <see cref="VolunteerReportKinds"/> kind and what was seen.</summary>
    public delegate Task ReportCallback(Uri source, string kind, string observed);

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
        TimeSpan timeout, ReportCallback report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(report);
        using var verifier = new ChunkVerifier(layout, layout.ChunkOf(range.Start), layout.ChunkOf(range.End));
        var reader = new VerifiedChunkReader(context, range, verifier, facts.Size);
        var download = new Download(context, facts, range, reader);
        foreach (var source in sources)
        {
            var outcome = await AttemptAsync(download, source, opened, timeout, report).ConfigureAwait(false);
            opened = null;
            if (!await reader.DrainAsync().ConfigureAwait(false) || outcome == Outcome.ClientGone)
            {
                return true;
            }

            if (outcome == Outcome.Completed)
            {
                return true;
            }

            reader.Restart();
        }

        if (reader.Started)
        {
            context.Abort();
            return true;
        }

        return false;
    }

    private async Task<Outcome> AttemptAsync(Download download, Uri source, HttpResponseMessage? opened, TimeSpan timeout, ReportCallback report)
    {
        var reader = download.Reader;
        var aborted = download.Context.RequestAborted;
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        silence.CancelAfter(timeout);
        HttpResponseMessage? sent = null;
        try
        {
            if (opened is null || reader.IsRanged)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, source) { Version = HttpVersion.Version11 };
                request.Headers.Range = reader.RangeDue;
                sent = await http.SendAsync(request, silence.Token).ConfigureAwait(false);
            }

            var result = await reader.ReadAsync(sent ?? opened!, silence, timeout, static (customer, upstream, d) => d.WriteHeaders(customer, upstream), download).ConfigureAwait(false);
            if (result.IsAltered)
            {
                var observed = result.Outcome == SourceOutcome.Mismatch ? Convert.ToHexStringLower(reader.Verifier.LastHash) : "?";
                LogAltered(logger, source, reader.Verifier.ResumeOffset, result.Reason!);
                await report(source, VolunteerReportKinds.Altered, observed).ConfigureAwait(false);
            }
            else if (!result.IsComplete)
            {
                LogFailed(logger, source, reader.Verifier.ResumeOffset, result.Reason!);
            }

            return result.IsComplete ? Outcome.Completed : Outcome.Failed;
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            if (aborted.IsCancellationRequested)
            {
                return Outcome.ClientGone;
            }

            if (ex is not OperationCanceledException)
            {
                LogFailed(logger, source, reader.Verifier.ResumeOffset, ex.Message);
                return Outcome.Failed;
            }

            // Silence is no proof of dishonesty, but a customer waited on it: the gateway benches a volunteer that keeps doing it.
            var stalled = $"silent for {timeout} at byte {reader.Verifier.ResumeOffset}";
            LogFailed(logger, source, reader.Verifier.ResumeOffset, stalled);
            await report(source, VolunteerReportKinds.Stalled, stalled).ConfigureAwait(false);
            return Outcome.Failed;
        }
        finally
        {
            sent?.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Source} failed from byte {Offset} ({Reason}); continuing there on the next source")]
    private static partial void LogFailed(ILogger logger, Uri source, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Source} sent altered bytes from byte {Offset} ({Reason}); refused, continuing there on the next source")]
    private static partial void LogAltered(ILogger logger, Uri source, long offset, string reason);

    /// <summary>One customer's download across its sources: the reader, and the headers the customer gets with the first piece.</summary>
    private sealed class Download(HttpContext context, FileFacts facts, ByteRange range, VerifiedChunkReader reader)
    {
        public HttpContext Context { get; } = context;

        public VerifiedChunkReader Reader { get; } = reader;

        public void WriteHeaders(HttpResponse response, HttpResponseMessage upstream)
        {
            VerifiedHeaders.Write(response, facts, range);
            response.ContentType = upstream.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
            if (upstream.Content.Headers.LastModified is { } modified)
            {
                response.Headers.LastModified = modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }
}
