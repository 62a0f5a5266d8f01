using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.EndToEnd;

public sealed class WeightTests
{
    [Fact]
    public async Task Weights_shift_the_distribution_as_configured()
    {
        await using var s = await StartAsync(
            "--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0", "--Selection:Seed=42",
            "--Volunteers:0:Weight=1", "--Volunteers:1:Weight=2", "--Volunteers:2:Weight=5");
        await s.Gateway.HoldAsync("v1", Big);
        await s.Gateway.HoldAsync("v2", Big);
        await s.Gateway.HoldAsync("v3", Big);
        const int requests = 800;
        var counts = s.Gateway.Volunteers.ToDictionary(v => v.Port, _ => 0);
        for (var i = 0; i < requests; i++)
        {
            using var response = await s.Gateway.Client.GetAsync(Big);
            counts[response.Headers.Location!.Port]++;
        }

        var shares = s.Gateway.Volunteers.Select(v => (double)counts[v.Port] / requests).ToArray();
        var expected = new[] { 1 / 8.0, 2 / 8.0, 5 / 8.0 };
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(shares[i] - expected[i]) < 0.03, $"share of v{i + 1} is {shares[i]:P1}, configured {expected[i]:P1}");
        }
    }
}
