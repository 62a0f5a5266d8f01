using Gateway.Core.Content;

namespace Gateway.ClientProxy;

/// <summary>The status and headers of a verified answer, from the gateway's facts (nothing a source sent).</summary>
public static class VerifiedHeaders
{
    public static void Write(HttpResponse response, FileFacts facts, ByteRange range)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(facts);
        response.StatusCode = range.IsPartial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
        response.ContentLength = range.Length;
        if (range.IsPartial)
        {
            response.Headers.ContentRange = $"bytes {range.Start}-{range.End}/{facts.Size}";
        }

        response.Headers.AcceptRanges = "bytes";
        response.Headers["Repr-Digest"] = "sha-256=:" + Convert.ToBase64String(facts.Sha256) + ":";
    }
}
