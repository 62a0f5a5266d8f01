using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;

namespace Gateway.Tests.Simulation;

/// <summary>The partial-mirror model: who holds what, and that only holders (or the origin) serve a file.</summary>
public sealed class PartialHoldingsTests
{
    private static readonly Scenario Partial = new()
    {
        Volunteers = 50,
        Holdings = HoldingModel.Partial,
        CatalogFiles = 2_000,
        PartialShareLow = 0.005,
        PartialShareHigh = 0.02,
        Sizes = SizeModel.Trace,
        Requests = 3_000,
        Load = 0.5,
    };

    [Fact]
    public void Partial_mirrors_hold_their_share_of_the_files_and_popular_files_have_the_most_holders()
    {
        var catalog = PartialMirrors.For(Partial);

        Assert.All(catalog.HoldingShare, share => Assert.InRange(share, 0.005 - 0.001, 0.02 + 0.001));
        var holdersOfTop = catalog.Holders.Take(20).Average(h => h.Length);
        var holdersOfTail = catalog.Holders.Skip(1_000).Average(h => h.Length);
        Assert.True(holdersOfTop > 10 * holdersOfTail, $"top files: {holdersOfTop} holders on average, tail: {holdersOfTail}");
        Assert.Contains(catalog.Holders, h => h.Length == 0);
    }

    [Fact]
    public void Full_mirrors_hold_every_file()
    {
        var catalog = PartialMirrors.For(Partial with { FullMirrorShare = 0.1 });

        Assert.Equal(5, catalog.HoldingShare.Count(s => s == 1));
        Assert.All(catalog.Holders, h => Assert.True(h.Length >= 5));
    }

    [Theory]
    [InlineData("byrequests")]
    [InlineData("feedback")]
    [InlineData("oracle")]
    public void Every_request_is_served_by_a_holder_of_its_file_or_by_the_origin_when_there_is_none(string label)
    {
        var workload = Workload.For(Partial);
        var catalog = workload.Mirrors!;

        var result = new Simulator(Partial, PolicyKinds.Parse(label), workload).Run();

        var origin = Partial.Volunteers;
        for (var i = 0; i < workload.Requests.Count; i++)
        {
            var holders = catalog.Holders[workload.Requests[i].File];
            Assert.True(holders.Length == 0 ? result.ServedBy[i] == origin : holders.Contains(result.ServedBy[i]),
                $"request {i} for file {workload.Requests[i].File} ({holders.Length} holders) served by {result.ServedBy[i]}");
        }

        // 50 small caches leave tail files without a holder: the model's offload can miss the 95 % goal, and here does.
        Assert.InRange(result.Offload, 0.01, 0.95);
    }

    [Fact]
    public void Bad_partial_shares_are_refused_with_the_values()
    {
        var error = Assert.Throws<ArgumentException>(() => PartialMirrors.For(Partial with { PartialShareLow = 0.3, PartialShareHigh = 0.1 }));

        Assert.Contains("0.3..0.1", error.Message, StringComparison.Ordinal);
    }
}
