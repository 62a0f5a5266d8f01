using System.Net;
using System.Net.Http.Headers;
using Gateway.Core.Catalog;
using Gateway.Core.Content;
using Gateway.Delivery.Proxy.Attempts;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Verification;

/// <summary>
/// The verified body of one customer's download across its attempts: each source is asked for the file (or the
/// chunks still due, with a Range request), and <see cref="VerifiedChunkReader"/> forwards each chunk only after its
/// SHA-256 matched the catalog, so after a mismatch, a stall, an error or a dropped connection the next source
/// continues from the last verified chunk and the customer sees one seamless 200 or 206. A source caught serving
/// altered bytes is reported to <see cref="VerifiedProxy.Altered"/>.
/// </summary>
public sealed class VerifiedBody : IAttemptBody, IDisposable
{
    private readonly VerifiedProxy _owner;
    private readonly HttpContext _context;
    private readonly CatalogEntry _entry;
    private readonly ByteRange _range;
    private readonly ChunkVerifier _verifier;
    private readonly VerifiedChunkReader _reader;

    // What each failed source did, for the customer's 502: the real cause, not only "see the log".
    private List<string>? _failures;

    internal VerifiedBody(VerifiedProxy owner, HttpContext context, CatalogEntry entry, ChunkLayout layout, ByteRange range)
    {
        _owner = owner;
        _context = context;
        _entry = entry;
        _range = range;
        _verifier = new ChunkVerifier(layout, layout.ChunkOf(range.Start), layout.ChunkOf(range.End));
        _reader = new VerifiedChunkReader(context, range, _verifier, entry.Size);
    }

    public bool Started(HttpContext context) => _reader.Started;

    /// <summary>Always: the next source resumes at the first unverified chunk, after whatever already went out.</summary>
    public bool CanContinue(HttpContext context) => true;

    public async Task<AttemptResult> SendAsync(HttpContext context, DestinationState? volunteer, TimeSpan? memberTimeout)
    {
        var sentBefore = _reader.BytesSent;
        var result = await FromAsync(volunteer?.Model.Config.Address ?? _owner.OriginBase, volunteer?.DestinationId, memberTimeout ?? _owner.ActivityTimeout).ConfigureAwait(false);

        // The last verified chunk may still be on its way to the customer: its buffer is not reused before that.
        var failure = await _reader.DrainAsync().ConfigureAwait(false) ? result.Failure : AttemptFailure.ClientGone;
        if (failure is not (AttemptFailure.None or AttemptFailure.ClientGone))
        {
            (_failures ??= []).Add($"{volunteer?.DestinationId ?? "the origin"} {result.Reason ?? failure.ToString()}");
        }

        return result with { Failure = failure, BytesSent = _reader.BytesSent - sentBefore };
    }

    public void Discard(HttpContext context) => _reader.Restart();

    public Task FailAsync(HttpContext context)
    {
        if (_reader.Started)
        {
            // Part of the body is out: only an aborted connection tells the customer it is incomplete.
            _context.Abort();
            return Task.CompletedTask;
        }

        return Results.Problem(
            statusCode: StatusCodes.Status502BadGateway,
            title: "No verified copy available",
            detail: $"Neither a volunteer nor the origin served bytes matching the catalog's SHA-256 for /{_entry.Path}: {(_failures is null ? "no source was tried" : string.Join("; ", _failures))}.").ExecuteAsync(_context);
    }

    public void Dispose() => _verifier.Dispose();

    /// <summary>One attempt from one source (a volunteer, or the origin when <paramref name="volunteer"/> is null).</summary>
    private async Task<AttemptResult> FromAsync(string baseUrl, string? volunteer, TimeSpan timeout)
    {
        var context = _context;
        using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + _entry.EscapedPath) { Version = HttpVersion.Version11 };
        request.Headers.Range = _reader.RangeDue;
        var conditional = !_reader.IsRanged && !_reader.Started && CopyConditionals(context.Request.Headers, request.Headers);
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        try
        {
            silence.CancelAfter(timeout);
            using var upstream = await _owner.Http.SendAsync(request, silence.Token).ConfigureAwait(false);
            var status = (int)upstream.StatusCode;
            if (upstream.StatusCode == HttpStatusCode.NotModified && conditional)
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                CopyValidators(upstream, context.Response.Headers);
                return new AttemptResult(AttemptFailure.None, status, 0, null);
            }

            var read = await _reader.ReadAsync(upstream, silence, timeout, static (customer, from, body) => body.WriteHeaders(customer, from), this).ConfigureAwait(false);
            if (read.IgnoredRange)
            {
                _owner.RangeIgnored(volunteer, _entry);
            }

            if (read.IsAltered)
            {
                _owner.Altered(volunteer, _entry, read.Reason!);
            }

            var failure = read.IsComplete ? AttemptFailure.None
                : read.Outcome == SourceOutcome.WrongStatus ? AttemptFailure.Status
                : AttemptFailure.Altered;
            return new AttemptResult(failure, status, 0, read.IsComplete ? null : read.Reason);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            if (context.RequestAborted.IsCancellationRequested)
            {
                return new AttemptResult(AttemptFailure.ClientGone, 0, 0, "the customer left");
            }

            return ex switch
            {
                OperationCanceledException => new AttemptResult(AttemptFailure.TimedOut, 0, 0, $"silent for {timeout} from byte {_verifier.ResumeOffset}"),
                HttpRequestException => new AttemptResult(AttemptFailure.Unreachable, 0, 0, ex.Message),
                _ => new AttemptResult(AttemptFailure.Broken, 0, 0, $"{ex.Message} from byte {_verifier.ResumeOffset}"),
            };
        }
    }

    private static bool CopyConditionals(IHeaderDictionary from, HttpRequestHeaders to)
    {
        var copied = false;
        if (from.IfNoneMatch.Count > 0)
        {
            copied |= to.TryAddWithoutValidation("If-None-Match", (IEnumerable<string?>)from.IfNoneMatch);
        }

        if (from.IfModifiedSince.Count > 0)
        {
            copied |= to.TryAddWithoutValidation("If-Modified-Since", (IEnumerable<string?>)from.IfModifiedSince);
        }

        return copied;
    }

    /// <summary>Validators re-serialized from their parsed form: nothing a volunteer sends reaches the customer verbatim.</summary>
    private static void CopyValidators(HttpResponseMessage upstream, IHeaderDictionary to)
    {
        if (upstream.Content.Headers.LastModified is { } modified)
        {
            to.LastModified = modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (upstream.Headers.ETag is { } etag)
        {
            to.ETag = etag.ToString();
        }
    }

    /// <summary>The customer's status and headers, set with the first verified chunk.</summary>
    private void WriteHeaders(HttpResponse response, HttpResponseMessage upstream)
    {
        response.StatusCode = _range.IsPartial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
        response.ContentLength = _range.Length;
        var headers = response.Headers;
        if (_range.IsPartial)
        {
            headers.ContentRange = $"bytes {_range.Start}-{_range.End}/{_entry.Size}";
        }

        headers.AcceptRanges = "bytes";
        headers["Repr-Digest"] = _entry.ReprDigest;
        response.ContentType = upstream.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
        CopyValidators(upstream, headers);
    }
}
