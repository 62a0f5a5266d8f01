namespace Gateway.Core.Content;

/// <summary>
/// Sends a customer the verified chunks of one download (their part in its range): the status line and headers
/// with the first, then each chunk in one write that overlaps the reading of the next (into the verifier's other
/// buffer). Used by <see cref="VerifiedChunkReader"/>, so the gateway's verified proxying and <c>verify-proxy</c> share it.
/// </summary>
public sealed class VerifiedChunkWriter(HttpContext context, ByteRange range, ChunkVerifier verifier)
{
    private Task _pending = Task.CompletedTask;

    /// <summary>True once the status line and the first verified bytes went out.</summary>
    public bool Started { get; private set; }

    /// <summary>Bytes handed to the customer so far.</summary>
    public long BytesSent { get; private set; }

    /// <summary>Waits for the chunk still being written; false when the customer went away.</summary>
    public async Task<bool> DrainAsync()
    {
        try
        {
            await _pending.ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            return false;
        }
        finally
        {
            _pending = Task.CompletedTask;
        }
    }

    /// <summary>
    /// Waits for the previous chunk's write, then starts sending the just-verified chunk's part in the range without
    /// waiting for it; <paramref name="writeHeaders"/> sets the status and headers before the first one.
    /// </summary>
    public async Task WriteAsync<TState>(Action<HttpResponse, TState> writeHeaders, TState state)
    {
        ArgumentNullException.ThrowIfNull(writeHeaders);
        await _pending.ConfigureAwait(false);
        var response = context.Response;
        if (!Started)
        {
            Started = true;
            writeHeaders(response, state);
        }

        var chunkStart = verifier.ChunkOffset;
        var chunk = verifier.Chunk;
        var sliceFrom = (int)(Math.Max(range.Start, chunkStart) - chunkStart);
        var sliceTo = (int)(Math.Min(range.End + 1, chunkStart + chunk.Length) - chunkStart);
        BytesSent += sliceTo - sliceFrom;
        _pending = response.Body.WriteAsync(chunk[sliceFrom..sliceTo], context.RequestAborted).AsTask();
    }
}
