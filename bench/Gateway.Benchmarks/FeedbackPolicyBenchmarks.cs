using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Gateway.Delivery;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Load;
using Gateway.Delivery.Quarantine;
using Gateway.Delivery.Selection;
using Gateway.Delivery.Volunteers;
using Gateway.State;
using Gateway.State.Views;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Gateway.Benchmarks;

/// <summary>
/// Per-pick cost of the default <see cref="FeedbackPowerOfTwoPolicy"/> with 8 candidates (the old default) and 64
/// (the new one) among 1,000 holders that all reported, each with none, 30 (a flash crowd's holders carry that many)
/// or 100,000 of this gateway's redirects still open in the ledger (tens of thousands of redirects a second), with
/// equal loads broken by bytes left or not (the reports take 7 load values, so most candidates tie with another).
/// About 8 minutes; the 100,000 cases spend most of it recording 100 million redirects in the setup.
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 8)]
[MemoryDiagnoser]
public class FeedbackPolicyBenchmarks : IDisposable
{
    private const int Holders = 1000;

    private readonly DefaultHttpContext _context = new();
    private readonly ClusterState _cluster = new("volunteers");
    private VolunteerDirectory _directory = null!;
    private ServiceProvider _meters = null!;
    private FeedbackPowerOfTwoPolicy _policy = null!;
    private DestinationState[] _destinations = [];

    [Params(8, 64)]
    public int Candidates { get; set; }

    [Params(0, 30, 100_000)]
    public int OpenRedirects { get; set; }

    [Params(true, false)]
    public bool TieBreakOnBytesLeft { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var time = TimeProvider.System;
        var selection = new SelectionOptions { Candidates = Candidates, Seed = 1, FeedbackMaxAge = TimeSpan.FromHours(1), TieBreakOnBytesLeft = TieBreakOnBytesLeft };
        var set = new VolunteerSetOptions();
        var view = new HoldingsView(time);
        var ledger = new DispatchLedger(time);
        for (var i = 0; i < Holders; i++)
        {
            var id = $"v{i}";
            set.Members.Add(new VolunteerOptions { Id = id, Url = $"http://127.0.0.1:{10000 + i}/" });
            view.Apply(new LoadReported(id, new LoadReport(i % 7, i % 2 * 4, 300_000, 0, 1_250_000, time.GetUtcNow(), i * 10_000L)));
            for (var r = 0; r < OpenRedirects; r++)
            {
                // Lengths spread over the ledger's levels: the cost of a pick must not depend on how many are open.
                ledger.RecordRedirect(id, TimeSpan.FromSeconds(60 + (r * 7919 % 540)), 1_000_000);
            }
        }

        var options = new FixedOptions<SelectionOptions>(selection);
        _directory = new VolunteerDirectory(new FixedOptions<VolunteerSetOptions>(set));
        _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var quarantine = new QuarantineList(time, _meters.GetRequiredService<IMeterFactory>(), Options.Create(new VerifyOptions()), NullLogger<QuarantineList>.Instance);
        var stalls = new StallBench(new FixedOptions<StallOptions>(new StallOptions()), time, _meters.GetRequiredService<IMeterFactory>(), NullLogger<StallBench>.Instance);
        var volunteers = new VolunteerState(_directory, view, quarantine, stalls, new LoadEstimator(view, ledger, options, time));
        _policy = new FeedbackPowerOfTwoPolicy(volunteers, new SelectionRandomSource(Options.Create(selection)), options);
        _destinations = [.. set.Members.Select(m => new DestinationState(m.Id))];
    }

    [Benchmark]
    public DestinationState? Pick() => _policy.PickDestination(_context, _cluster, _destinations);

    [GlobalCleanup]
    public void Dispose()
    {
        _directory.Dispose();
        _meters.Dispose();
        GC.SuppressFinalize(this);
    }
}
