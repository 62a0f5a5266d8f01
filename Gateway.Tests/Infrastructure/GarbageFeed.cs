using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A release feed gone wrong, on loopback: in turn a 500, a 200 that is not an event stream, and an event stream of
/// malformed lines and oversized data that then closes. Counts the requests.
/// </summary>
public sealed class GarbageFeed : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private GarbageFeed(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<GarbageFeed> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var feed = new GarbageFeed(app);
        app.MapGet("/feed", async context =>
        {
            switch (Interlocked.Increment(ref feed._requests) % 3)
            {
                case 1:
                    context.Response.StatusCode = 500;
                    return;
                case 2:
                    context.Response.ContentType = "text/html";
                    await context.Response.WriteAsync("<html>not a feed</html>");
                    return;
                default:
                    context.Response.ContentType = "text/event-stream";
                    await context.Response.WriteAsync("event: catalog\ndata: " + new string('x', 10_000) + "\n\n: comment\nretry: banana\nevent\u0000: \ndata:\n\n\n\n");
                    return;
            }
        });
        await app.StartAsync();
        feed.Url = new Uri(app.Urls.First() + "/feed");
        return feed;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
