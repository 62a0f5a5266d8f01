using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Gateway.Delivery;
using Gateway.Delivery.Selection;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Benchmarks;

/// <summary>
/// Per-pick cost of each Apache lbmethod over all members as candidates (the worst case: holders-only
/// narrows the list on real requests). A short job: a few minutes in all.
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 8)]
[MemoryDiagnoser]
public class ApachePolicyBenchmarks : IDisposable
{
    private readonly DefaultHttpContext _context = new();
    private readonly ClusterState _cluster = new("volunteers");
    private BalancerMembers _members = null!;
    private ILoadBalancingPolicy _policy = null!;
    private DestinationState[] _destinations = [];

    [Params(8, 100, 1000)]
    public int Members { get; set; }

    [Params("byrequests", "bytraffic", "bybusyness", "heartbeat")]
    public string Policy { get; set; } = "byrequests";

    [GlobalSetup]
    public void Setup()
    {
        var set = new VolunteerSetOptions();
        for (var i = 0; i < Members; i++)
        {
            set.Members.Add(new VolunteerOptions { Id = $"v{i}", Url = $"http://127.0.0.1:{10000 + i}/", LoadFactor = 1 + (i % 5), LbSet = i % 10 == 9 ? 1 : 0 });
        }

        var time = TimeProvider.System;
        var balancer = new FixedOptions<BalancerOptions>(new BalancerOptions());
        _members = new BalancerMembers(new FixedOptions<VolunteerSetOptions>(set), balancer, time);
        var board = new HeartbeatBoard(time, new Gateway.State.Views.HoldingsView(time), balancer, new FixedOptions<SelectionOptions>(new SelectionOptions()));
        foreach (var member in set.Members)
        {
            board.Record(member.Id, ready: 50, busy: 5);
        }

        var random = new SelectionRandomSource(Options.Create(new SelectionOptions { Seed = 1 }));
        _policy = Policy switch
        {
            "byrequests" => new ByRequestsPolicy(_members),
            "bytraffic" => new ByTrafficPolicy(_members),
            "bybusyness" => new ByBusynessPolicy(_members),
            _ => new HeartbeatPolicy(_members, board, random, time),
        };
        _destinations = [.. set.Members.Select(m => new DestinationState(m.Id))];
    }

    [Benchmark]
    public DestinationState? Pick() => _policy.PickDestination(_context, _cluster, _destinations);

    [GlobalCleanup]
    public void Dispose()
    {
        _members.Dispose();
        GC.SuppressFinalize(this);
    }
}
