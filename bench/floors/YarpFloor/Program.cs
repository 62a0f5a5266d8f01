// The .NET floor for a proxy (bench/run.sh's yarp-floor): YARP's MapReverseProxy with the slim builder, no logging,
// one catch-all route to one cluster of four backends with YARP's PowerOfTwoChoices. What the gateway spends on top of
// this is its own per-request work (catalog, holders, policy, verification, metrics).
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
string[] backends = [.. (builder.Configuration["Backends"] ?? "http://127.0.0.1:18101").Split(',')];
RouteConfig[] routes = [new() { RouteId = "all", ClusterId = "backends", Match = new() { Path = "{**path}" } }];
ClusterConfig[] clusters =
[
    new()
    {
        ClusterId = "backends",
        LoadBalancingPolicy = LoadBalancingPolicies.PowerOfTwoChoices,
        Destinations = backends.Select((url, i) => (url, i)).ToDictionary(b => $"b{b.i + 1}", b => new DestinationConfig { Address = b.url }),
    },
];
builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
