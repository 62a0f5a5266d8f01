using System.Diagnostics.Metrics;
using Gateway.Delivery.Availability;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Selection;

/// <summary>When stall reports bench a volunteer, for how long, and when it comes back.</summary>
public sealed class StallBenchTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly StallOptions _options = new() { Threshold = 2, Window = TimeSpan.FromMinutes(2), BenchFor = TimeSpan.FromSeconds(30), MaxBenchFor = TimeSpan.FromMinutes(4) };

    public void Dispose() => _services.Dispose();

    [Fact]
    public void The_threshold_within_the_window_benches_and_the_bench_ends_by_itself()
    {
        var bench = Bench();
        Assert.False(bench.Record("v1", "stall"));
        Assert.False(bench.IsBenched("v1"));
        Assert.Equal(1, bench.RecentStalls("v1"));

        Assert.True(bench.Record("v1", "stall"));
        Assert.True(bench.IsBenched("v1"));
        Assert.False(bench.IsBenched("v2"));
        Assert.Equal(_time.GetUtcNow() + _options.BenchFor, bench.BenchedUntil("v1"));

        _time.Advance(_options.BenchFor - TimeSpan.FromSeconds(1));
        Assert.True(bench.IsBenched("v1"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(bench.IsBenched("v1"));
        Assert.Null(bench.BenchedUntil("v1"));
    }

    [Fact]
    public void Reports_further_apart_than_the_window_never_bench_and_stop_counting_as_load()
    {
        var bench = Bench();
        for (var i = 0; i < 5; i++)
        {
            Assert.False(bench.Record("v1", "stall"));
            Assert.Equal(1, bench.RecentStalls("v1"));
            _time.Advance(_options.Window);
        }

        Assert.Equal(0, bench.RecentStalls("v1"));
        Assert.False(bench.IsBenched("v1"));
    }

    [Fact]
    public void A_volunteer_that_keeps_stalling_is_benched_twice_as_long_each_time_up_to_the_maximum_and_from_the_start_after_a_quiet_spell()
    {
        var bench = Bench();
        var lengths = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            bench.Record("v1", "stall");
            bench.Record("v1", "stall");
            var until = bench.BenchedUntil("v1")!.Value;
            lengths.Add(until - _time.GetUtcNow());
            _time.Advance(until - _time.GetUtcNow());
        }

        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(240), TimeSpan.FromSeconds(240)], lengths);

        _time.Advance(_options.MaxBenchFor);
        bench.Record("v1", "stall");
        bench.Record("v1", "stall");
        Assert.Equal(_options.BenchFor, bench.BenchedUntil("v1")!.Value - _time.GetUtcNow());
    }

    [Fact]
    public void Reports_during_a_bench_do_not_lengthen_it()
    {
        var bench = Bench();
        bench.Record("v1", "stall");
        bench.Record("v1", "stall");
        var until = bench.BenchedUntil("v1");
        for (var i = 0; i < 10; i++)
        {
            Assert.False(bench.Record("v1", "a transfer that started before the bench"));
        }

        Assert.Equal(until, bench.BenchedUntil("v1"));
    }

    [Fact]
    public void Threshold_zero_never_benches_but_reports_still_count_as_load()
    {
        _options.Threshold = 0;
        var bench = Bench();
        for (var i = 0; i < 10; i++)
        {
            Assert.False(bench.Record("v1", "stall"));
        }

        Assert.False(bench.IsBenched("v1"));
        Assert.Equal(4, bench.RecentStalls("v1"));
    }

    [Theory]
    [InlineData(-1, 120, 30, 240, "Stalls:Threshold")]
    [InlineData(2, 0, 30, 240, "Stalls:Window")]
    [InlineData(2, 120, 0, 240, "Stalls:BenchFor")]
    [InlineData(2, 120, 300, 240, "Stalls:BenchFor")]
    public void Settings_out_of_range_are_refused_with_their_name(int threshold, int window, int benchFor, int maxBenchFor, string named)
    {
        var result = new StallOptionsValidator().Validate(null, new StallOptions
        {
            Threshold = threshold,
            Window = TimeSpan.FromSeconds(window),
            BenchFor = TimeSpan.FromSeconds(benchFor),
            MaxBenchFor = TimeSpan.FromSeconds(maxBenchFor),
        });
        Assert.True(result.Failed);
        Assert.Contains(named, result.FailureMessage, StringComparison.Ordinal);
    }

    private StallBench Bench() =>
        new(new FixedOptionsMonitor<StallOptions>(_options), _time, _services.GetRequiredService<IMeterFactory>(), NullLogger<StallBench>.Instance);
}
