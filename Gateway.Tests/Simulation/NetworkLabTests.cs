using System.Security.Cryptography;
using Gateway.Simulation.Harness;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Simulation;

/// <summary>
/// The real-process harness, small: volunteers in their own network namespaces behind tc-shaped veths,
/// the gateway on the host in redirect mode, open-loop customers following its redirects.
/// </summary>
public sealed class NetworkLabTests
{
    private const long UploadBitsPerSecond = 20_000_000;

    [Fact]
    public async Task Customers_get_every_file_from_namespaced_volunteers_through_the_gateway_and_the_lab_is_removed_afterwards()
    {
        using var repository = new TestRepository();
        string[] paths = ["pool/main/a/big_1.0_all.deb", "pool/main/s/small_1.0_all.deb"];
        repository.Add(paths[0], 300_000);
        repository.Add(paths[1], 20_000);
        await repository.PublishAsync();
        var expected = paths.ToDictionary(p => p, p => Convert.ToHexStringLower(SHA256.HashData(repository.Read(p))));
        var folders = Enumerable.Range(0, 3).Select(i => repository.MirrorFolder($"lab{i}", paths)).ToArray();

        NetworkLab? observed = null;
        IReadOnlyList<CustomerResult> results;
        await using (var lab = await NetworkLab.CreateAsync(folders, UploadBitsPerSecond, CancellationToken.None))
        {
            observed = lab;
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            foreach (var volunteer in lab.Volunteers)
            {
                await Eventually.HoldsAsync(() => AnswersAsync(probe, new Uri(volunteer.BaseUrl, paths[1])), TimeSpan.FromSeconds(10), () => $"{volunteer.BaseUrl} did not answer");
                Assert.Contains("tbf", await NetworkLab.ShapingAsync(volunteer, CancellationToken.None));
            }

            var settings = new List<string> { "--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0" };
            for (var i = 0; i < lab.Volunteers.Count; i++)
            {
                settings.Add($"--Volunteers:{i}:Id={lab.Volunteers[i].Id}");
                settings.Add($"--Volunteers:{i}:Url={lab.Volunteers[i].BaseUrl}");
            }

            await using var gateway = await GatewayUnderTest.StartAsync(repository, [], [.. settings]);
            foreach (var volunteer in lab.Volunteers)
            {
                await gateway.HoldAsync(volunteer.Id, paths);
            }

            var byAuthority = lab.Volunteers.ToDictionary(v => v.BaseUrl.Authority, v => v.Id);
            var meter = new CustomerMeter([.. lab.Volunteers.Select(v => v.Id)], (_, authority) => byAuthority.GetValueOrDefault(authority));
            results = await new LoadGenerator(new Uri(gateway.Url + "/"), requestsPerSecond: 20, seed: 1) { Meter = meter }.RunAsync(paths, 40, CancellationToken.None);
            var authorities = lab.Volunteers.Select(v => v.BaseUrl.Authority).ToHashSet();

            // What the byte-counter policy reads: every body byte counted at the volunteer that sent it, and nothing left in flight.
            Assert.All(lab.Volunteers, v =>
            {
                Assert.Equal(results.Where(r => r.ServedBy == v.BaseUrl.Authority).Sum(r => r.Bytes), meter.Bytes(v.Id));
                Assert.Equal(0, meter.InFlight(v.Id));
            });
            Assert.All(results, r =>
            {
                Assert.Null(r.Error);
                Assert.Equal(200, r.Status);
                Assert.Equal(expected[r.Path], r.Sha256);
                Assert.Contains(r.ServedBy, authorities);
            });
        }

        Assert.Equal(40, results.Count);
        await AssertRemovedAsync(observed);
    }

    [Fact]
    public async Task A_run_that_fails_still_removes_its_namespaces_links_and_servers()
    {
        using var repository = new TestRepository();
        var folders = Enumerable.Range(0, 2).Select(i => repository.MirrorFolder($"lab{i}", [])).ToArray();
        NetworkLab? observed = null;

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var lab = await NetworkLab.CreateAsync(folders, UploadBitsPerSecond, CancellationToken.None);
            observed = lab;
            Assert.Equal(2, (await NetworkLab.NamespacesAsync(lab.Prefix, CancellationToken.None)).Count);
            throw new InvalidOperationException("the experiment failed half-way");
        });

        await AssertRemovedAsync(observed);
    }

    // The server in the namespace takes a moment to listen: refused until then.
    private static async Task<bool> AnswersAsync(HttpClient client, Uri url)
    {
        try
        {
            using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task AssertRemovedAsync(NetworkLab? lab)
    {
        await LabChecks.NetworkRemovedAsync(lab);
        Assert.All(lab!.Volunteers, v =>
        {
            Assert.NotNull(v.ServerProcessId);
            Assert.False(LabChecks.Runs(v.ServerProcessId.Value), $"server {v.ServerProcessId} of {v.Namespace} still runs");
        });
    }
}
