using System.Collections.Concurrent;
using Gateway.Agent.WebSeed;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Agent;

/// <summary>The relay's deliberately short answers do not show up as Kestrel application errors; every other short answer still does.</summary>
public sealed class ClippedAnswerLogFilterTests
{
    [Fact]
    public async Task Kestrel_reports_a_short_body_only_when_the_relay_did_not_mark_it()
    {
        var captured = new CapturingProvider();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(captured);
        ClippedAnswerLogFilter.Wrap(builder.Services);
        await using var app = builder.Build();
        var clipped = app.Services.GetRequiredService<ClippedAnswers>();
        var ids = new ConcurrentDictionary<string, string>();
        app.Run(async context =>
        {
            var marked = context.Request.Path == "/marked";
            ids[context.Request.Path.Value!] = context.TraceIdentifier;
            if (marked)
            {
                clipped.Mark(context);
            }

            context.Response.ContentLength = 100;
            await context.Response.Body.WriteAsync(new byte[10]);
        });
        await app.StartAsync();
        var url = new Uri(app.Urls.Single());
        using var client = new HttpClient();
        foreach (var path in new[] { "/marked", "/unmarked", "/marked" })
        {
            // The body ends short and the connection closes: the client sees a truncated response either way.
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetByteArrayAsync(new Uri(url, path)));
        }

        await Eventually.HoldsAsync(() => !captured.ApplicationErrors.IsEmpty && clipped.Count == 0, TimeSpan.FromSeconds(10), () => $"{captured.ApplicationErrors.Count} errors, {clipped.Count} marked");
        await app.StopAsync();

        // Exactly the unmarked request was reported (the marked ones ran before and after it).
        var error = Assert.Single(captured.ApplicationErrors);
        Assert.Contains(ids["/unmarked"], error, StringComparison.Ordinal);
        Assert.Contains("Content-Length mismatch", error, StringComparison.Ordinal);
    }

    private sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> ApplicationErrors { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Capturing(this);

        public void Dispose()
        {
        }

        private sealed class Capturing(CapturingProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (eventId.Id == ClippedAnswerLogFilter.ApplicationErrorEventId)
                {
                    provider.ApplicationErrors.Enqueue(formatter(state, exception) + " " + exception?.Message);
                }
            }
        }
    }
}
