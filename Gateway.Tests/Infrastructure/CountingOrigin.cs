using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The publishing origin as volunteers see it (manifest, .torrent files, BEP 19 web seed): Kestrel static files
/// with a middleware that counts every body byte it sends and, optionally, holds each response to a rate, as a
/// central server that is the bottleneck would.
/// </summary>
public sealed class CountingOrigin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _bytes;

    private CountingOrigin(WebApplication app) => _app = app;

    /// <summary>Base URL ending with '/'.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Body bytes sent so far.</summary>
    public long BytesSent => Interlocked.Read(ref _bytes);

    public static async Task<CountingOrigin> StartAsync(string root, long bytesPerSecond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var origin = new CountingOrigin(app);
        app.Use(async (context, next) =>
        {
            var inner = context.Features.Get<IHttpResponseBodyFeature>()!;
            var counting = new CountingStream(inner.Stream, n => Interlocked.Add(ref origin._bytes, n), bytesPerSecond);
            context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(counting, inner));
            try
            {
                await next(context);
            }
            finally
            {
                context.Features.Set(inner);
            }
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Path.GetFullPath(root)),
            ServeUnknownFileTypes = true,
            DefaultContentType = "application/octet-stream",
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        origin.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return origin;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class CountingStream(Stream inner, Action<int> count, long bytesPerSecond) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // Chunks of 16 KiB, each after its share of time: the rate holds however large the writes are.
            for (var offset = 0; offset < buffer.Length; offset += 16384)
            {
                var chunk = buffer.Slice(offset, Math.Min(16384, buffer.Length - offset));
                if (bytesPerSecond > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(chunk.Length / (double)bytesPerSecond), cancellationToken);
                }

                await inner.WriteAsync(chunk, cancellationToken);
                count(chunk.Length);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
