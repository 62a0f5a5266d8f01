using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Demo;

/// <summary>
/// What a built-in volunteer reports on its announces: the customer transfers it is sending now and the bytes they
/// still have to send (<c>x_http</c>, <c>x_http_left</c>), measured on its responses, as a real agent measures them.
/// Requests for its health probe and inventory are not customer transfers and are not counted.
/// </summary>
public sealed class TransferGauge
{
    private readonly ConcurrentDictionary<Transfer, byte> _active = new();

    /// <summary>Customer transfers in progress.</summary>
    public int ActiveTransfers => _active.Count;

    /// <summary>Bytes the transfers in progress still have to send (their Content-Length less what was sent).</summary>
    public long BytesLeft => _active.Keys.Sum(t => t.Left);

    /// <summary>Adds the gauge in front of the server's other middleware.</summary>
    public void Attach(IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (path.StartsWithSegments("/healthz", StringComparison.Ordinal) || path.StartsWithSegments(StaticFileServer.InventoryPath, StringComparison.Ordinal))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            var inner = context.Features.Get<IHttpResponseBodyFeature>()!;
            var transfer = new Transfer(context.Response);
            _active[transfer] = 0;
            context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(new CountingStream(inner.Stream, transfer), inner));
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                context.Features.Set(inner);
                _active.TryRemove(transfer, out _);
            }
        });
    }

    private sealed class Transfer(HttpResponse response)
    {
        private long _sent;

        // The length is known once the file server set the headers; before that the transfer has nothing left to count.
        public long Left => Math.Max(0, (response.HasStarted ? response.ContentLength ?? 0 : 0) - Interlocked.Read(ref _sent));

        public void Sent(int bytes) => Interlocked.Add(ref _sent, bytes);
    }

    private sealed class CountingStream(Stream inner, Transfer transfer) : ResponseBodyStream(inner)
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            transfer.Sent(buffer.Length);
        }
    }
}
