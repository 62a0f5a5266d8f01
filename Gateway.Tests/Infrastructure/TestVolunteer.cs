using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
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

/// <summary>How a test volunteer answers.</summary>
public enum VolunteerBehavior
{
    /// <summary>Static files, as a healthy mirror.</summary>
    Serve,

    /// <summary>500 for every file request (probes still pass).</summary>
    Fail500,

    /// <summary>503 for every file request (probes still pass).</summary>
    Fail503,

    /// <summary>Drops the connection before sending any byte.</summary>
    Abort,

    /// <summary>Never answers (until the request is cancelled).</summary>
    Hang,

    /// <summary>Tampers: one byte in the middle of the body flipped.</summary>
    FlipByte,

    /// <summary>Tampers: different bytes of the same length.</summary>
    OtherFileSameSize,

    /// <summary>Tampers: the body without its last bytes, chunked (no Content-Length to give it away).</summary>
    Truncate,

    /// <summary>Tampers: the right bytes with extra ones appended, Content-Length to match.</summary>
    ExtraBytes,

    /// <summary>Sends the first half of the body, then nothing until the request is cancelled.</summary>
    StallMidBody,

    /// <summary>Tampers: declares a Content-Length smaller than the file and sends that many bytes.</summary>
    WrongContentLength,

    /// <summary>Waits <see cref="TestVolunteer.SlowDelay"/> before answering, then serves the file (a slow, honest mirror).</summary>
    Slow,
}

/// <summary>
/// A real Kestrel volunteer on loopback serving its own folder with Range support, whose behaviour a test
/// can change, which can be stopped and started again on the same port, and which counts what it served.
/// </summary>
public sealed class TestVolunteer : IAsyncDisposable
{
    private readonly string _folder;
    private readonly X509Certificate2? _certificate;
    private WebApplication? _app;

    private TestVolunteer(string id, string folder, IPAddress address, X509Certificate2? certificate = null)
    {
        Id = id;
        _folder = folder;
        Address = address;
        _certificate = certificate;
    }

    /// <summary>The loopback address it listens on (127.0.0.1 unless a test gives each volunteer its own).</summary>
    public IPAddress Address { get; }

    public string Id { get; }

    public int Port { get; private set; }

    public Uri BaseUrl => new($"{(_certificate is null ? "http" : "https")}://{Address}:{Port}/");

    public VolunteerBehavior Behavior { get; set; } = VolunteerBehavior.Serve;

    /// <summary>How long <see cref="VolunteerBehavior.Slow"/> waits before the status line.</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>File requests received (not probes), by path.</summary>
    public ConcurrentQueue<string> Hits { get; } = new();

    public int HitCount => Hits.Count;

    /// <summary>The W3C <c>traceparent</c> header of each file request that carried one.</summary>
    public ConcurrentQueue<string> TraceParents { get; } = new();

    public static async Task<TestVolunteer> StartAsync(string id, string folder, IPAddress? address = null)
    {
        var volunteer = new TestVolunteer(id, folder, address ?? IPAddress.Loopback);
        await volunteer.StartAsync(0);
        return volunteer;
    }

    /// <summary>A volunteer serving https with <paramref name="certificate"/> (which must hold its private key).</summary>
    public static async Task<TestVolunteer> StartHttpsAsync(string id, string folder, X509Certificate2 certificate)
    {
        var volunteer = new TestVolunteer(id, folder, IPAddress.Loopback, certificate);
        await volunteer.StartAsync(0);
        return volunteer;
    }

    /// <summary>Starts again on the same port after <see cref="StopAsync"/> (a recovered volunteer).</summary>
    public Task RestartAsync() => StartAsync(Port);

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Bytes served while tampering, by behaviour (what the gateway or client proxy had to catch).</summary>
    public ConcurrentDictionary<VolunteerBehavior, int> Tampered { get; } = new();

    /// <summary>Serves the requested file (honouring a single Range) altered as <paramref name="behavior"/> says.</summary>
    private async Task TamperAsync(HttpContext context, VolunteerBehavior behavior)
    {
        var file = Path.Combine(Path.GetFullPath(_folder), Uri.UnescapeDataString(context.Request.Path.Value!.TrimStart('/')));
        if (!File.Exists(file))
        {
            context.Response.StatusCode = 404;
            return;
        }

        var bytes = await File.ReadAllBytesAsync(file);
        var (from, to) = (0L, bytes.LongLength - 1);
        var range = context.Request.GetTypedHeaders().Range;
        if (range is { Ranges.Count: 1 } && range.Ranges.First() is { From: { } start } r)
        {
            (from, to) = (start, Math.Min(r.To ?? bytes.LongLength - 1, bytes.LongLength - 1));
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{to}/{bytes.LongLength}";
        }

        var body = bytes.AsSpan((int)from, (int)(to - from + 1)).ToArray();
        Tampered.AddOrUpdate(behavior, 1, (_, n) => n + 1);
        context.Response.ContentType = "application/octet-stream";
        switch (behavior)
        {
            case VolunteerBehavior.FlipByte:
                body[body.Length / 2] ^= 0x01;
                break;
            case VolunteerBehavior.OtherFileSameSize:
                new Random(body.Length).NextBytes(body);
                break;
            case VolunteerBehavior.Truncate:
                body = body[..(body.Length * 3 / 4)];
                await context.Response.Body.WriteAsync(body);
                return;
            case VolunteerBehavior.ExtraBytes:
                body = [.. body, .. "<script>evil()</script>"u8];
                break;
            case VolunteerBehavior.StallMidBody:
                context.Response.ContentLength = body.Length;
                await context.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 2));
                await context.Response.Body.FlushAsync();
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case VolunteerBehavior.WrongContentLength:
                // A Content-Length smaller than the file, and the body to match: well-framed HTTP, the wrong
                // length (a larger one would end in a dropped connection, which is no proof of tampering).
                body = body[..(body.Length * 9 / 10)];
                break;
        }

        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body);
    }

    private async Task StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(Address, port, listen =>
        {
            if (_certificate is not null)
            {
                listen.UseHttps(_certificate);
            }
        }));
        var app = builder.Build();
        app.MapGet("/healthz", () => "ok");
        app.Use(async (context, next) =>
        {
            if (context.Request.Path == "/healthz")
            {
                await next(context);
                return;
            }

            Hits.Enqueue(context.Request.Path.Value ?? string.Empty);
            if (context.Request.Headers.TryGetValue("traceparent", out var traceParent))
            {
                TraceParents.Enqueue(traceParent.ToString());
            }
            switch (Behavior)
            {
                case VolunteerBehavior.Fail500 or VolunteerBehavior.Fail503:
                    context.Response.StatusCode = Behavior == VolunteerBehavior.Fail500 ? 500 : 503;
                    await context.Response.WriteAsync("volunteer broken");
                    return;
                case VolunteerBehavior.Abort:
                    context.Features.Get<IHttpRequestLifetimeFeature>()!.Abort();
                    return;
                case VolunteerBehavior.Hang:
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
                case VolunteerBehavior.Serve:
                    await next(context);
                    return;
                case VolunteerBehavior.Slow:
                    await Task.Delay(SlowDelay, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    if (!context.RequestAborted.IsCancellationRequested)
                    {
                        await next(context);
                    }

                    return;
                default:
                    await TamperAsync(context, Behavior);
                    return;
            }
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Path.GetFullPath(_folder)),
            ServeUnknownFileTypes = true,
        });
        await app.StartAsync();
        Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        _app = app;
    }
}
