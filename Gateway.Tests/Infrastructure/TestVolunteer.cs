using System.Collections.Concurrent;
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

/// <summary>How a test volunteer answers.</summary>
public enum VolunteerBehavior
{
    /// <summary>Static files, as a healthy mirror.</summary>
    Serve,

    /// <summary>500 for every file request (probes still pass).</summary>
    Fail500,

    /// <summary>Drops the connection before sending any byte.</summary>
    Abort,

    /// <summary>Never answers (until the request is cancelled).</summary>
    Hang,
}

/// <summary>
/// A real Kestrel volunteer on loopback serving its own folder with Range support, whose behaviour a test
/// can change, which can be stopped and started again on the same port, and which counts what it served.
/// </summary>
public sealed class TestVolunteer : IAsyncDisposable
{
    private readonly string _folder;
    private WebApplication? _app;

    private TestVolunteer(string id, string folder)
    {
        Id = id;
        _folder = folder;
    }

    public string Id { get; }

    public int Port { get; private set; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");

    public VolunteerBehavior Behavior { get; set; } = VolunteerBehavior.Serve;

    /// <summary>File requests received (not probes), by path.</summary>
    public ConcurrentQueue<string> Hits { get; } = new();

    public int HitCount => Hits.Count;

    /// <summary>The W3C <c>traceparent</c> header of each file request that carried one.</summary>
    public ConcurrentQueue<string> TraceParents { get; } = new();

    public static async Task<TestVolunteer> StartAsync(string id, string folder)
    {
        var volunteer = new TestVolunteer(id, folder);
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

    private async Task StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
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
                case VolunteerBehavior.Fail500:
                    context.Response.StatusCode = 500;
                    await context.Response.WriteAsync("volunteer broken");
                    return;
                case VolunteerBehavior.Abort:
                    context.Features.Get<IHttpRequestLifetimeFeature>()!.Abort();
                    return;
                case VolunteerBehavior.Hang:
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
                default:
                    await next(context);
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
