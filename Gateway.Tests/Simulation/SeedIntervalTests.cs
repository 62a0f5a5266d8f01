using Gateway.Simulation.Output;

namespace Gateway.Tests.Simulation;

/// <summary>Median and range over seeds, and verdicts only when the whole range is on one side of a goal.</summary>
public sealed class SeedIntervalTests
{
    [Fact]
    public void The_median_and_range_of_five_seeds_cover_the_median_with_94_percent_confidence()
    {
        var interval = SeedInterval.Of([0.9, 0.4, 0.6, 0.5, 0.7]);

        Assert.Equal((0.6, 0.4, 0.9), (interval.Median, interval.Low, interval.High));
        Assert.Equal(0.9375, interval.Confidence);
        Assert.Equal(0.55, SeedInterval.Of([0.4, 0.5, 0.6, 0.9]).Median, 12);
    }

    [Theory]
    [InlineData(0.5, 0.45, 0.49, "met")]
    [InlineData(0.5, 0.51, 0.7, "missed")]
    [InlineData(0.5, 0.45, 0.55, "undecided")]
    public void An_at_most_goal_is_met_only_when_the_highest_seed_meets_it(double goal, double low, double high, string verdict)
    {
        Assert.Equal(verdict, SeedInterval.Of([low, (low + high) / 2, high]).Verdict(goal, atMost: true));
    }

    [Theory]
    [InlineData(0.95, 0.96, 0.99, "met")]
    [InlineData(0.95, 0.90, 0.94, "missed")]
    [InlineData(0.95, 0.94, 0.97, "undecided")]
    public void An_at_least_goal_is_met_only_when_the_lowest_seed_meets_it(double goal, double low, double high, string verdict)
    {
        Assert.Equal(verdict, SeedInterval.Of([low, high]).Verdict(goal, atMost: false));
    }

    [Fact]
    public void No_seeds_is_a_clear_error()
    {
        Assert.Throws<ArgumentException>(() => SeedInterval.Of([]));
    }
}
