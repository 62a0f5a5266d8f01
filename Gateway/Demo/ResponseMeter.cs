using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Demo;

/// <summary>
/// Counts every response body byte a server sends and, with a rate, holds all its responses together to it
/// (one token bucket: an uplink, not a per-connection limit). Lets tests and benchmarks measure what an origin
/// sent and make it the bottleneck a central server is.
/// </summary>
public sealed class ResponseMeter : IDisposable
{
    private const int Chunk = 16384;
    private readonly TokenBucketRateLimiter? _uplink;
    private long _bytes;
    private long _requests;

    /// <param name="bytesPerSecond">The uplink's rate; 0 counts without limiting.</param>
    public ResponseMeter(long bytesPerSecond = 0)
    {
        if (bytesPerSecond > 0)
        {
            // Refilled every 10 ms; the bucket holds one refill (or a few chunks): an uplink does not save up.
            var perPeriod = (int)Math.Clamp(bytesPerSecond / 100, 1, int.MaxValue);
            _uplink = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(4 * Chunk, perPeriod),
                TokensPerPeriod = perPeriod,
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(10),
                QueueLimit = int.MaxValue,
                AutoReplenishment = true,
            });
        }
    }

    /// <summary>Body bytes sent so far.</summary>
    public long BytesSent => Interlocked.Read(ref _bytes);

    /// <summary>Requests answered so far (whatever their status): what a test of "no load on the origin" counts.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Adds the meter in front of the app's other middleware.</summary>
    public void Attach(IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref _requests);
            var inner = context.Features.Get<IHttpResponseBodyFeature>()!;
            context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(new MeteredStream(inner.Stream, this), inner));
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                context.Features.Set(inner);
            }
        });
    }

    public void Dispose() => _uplink?.Dispose();

    private async ValueTask WriteAsync(Stream inner, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < buffer.Length; offset += Chunk)
        {
            var chunk = buffer.Slice(offset, Math.Min(Chunk, buffer.Length - offset));
            if (_uplink is not null)
            {
                using var lease = await _uplink.AcquireAsync(chunk.Length, cancellationToken).ConfigureAwait(false);
            }

            await inner.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _bytes, chunk.Length);
        }
    }

    private sealed class MeteredStream(Stream inner, ResponseMeter meter) : ResponseBodyStream(inner)
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            meter.WriteAsync(Inner, buffer, cancellationToken);
    }
}
