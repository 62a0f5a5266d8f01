// The .NET floor for a redirect (bench/run.sh's kestrel-302): Kestrel with the slim builder, no logging, and one
// handler that answers every GET with a 302 to the same path on one of four backends in turn. Whatever the gateway
// spends on top of this is its own per-request work.

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
string[] backends = [.. (app.Configuration["Backends"] ?? "http://127.0.0.1:18101").Split(',')];
var next = 0;
app.Run(context =>
{
    var backend = backends[(int)((uint)Interlocked.Increment(ref next) % (uint)backends.Length)];
    context.Response.StatusCode = StatusCodes.Status302Found;
    context.Response.Headers.Location = backend + context.Request.Path.Value;
    return Task.CompletedTask;
});
app.Run();
