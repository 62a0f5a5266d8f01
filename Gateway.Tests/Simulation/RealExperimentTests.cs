using Gateway.Simulation.Harness;
using Gateway.Simulation.Policies;
using Gateway.Simulation.Real;

namespace Gateway.Tests.Simulation;

/// <summary>
/// The real-process experiment, small: three volunteer agents (the gateway's volunteer command with aria2c) in
/// their own network namespaces behind tc-shaped links, two of them syncing, the gateway with
/// its hosted tracker, a couple of seconds of customers per policy.
/// </summary>
public sealed class RealExperimentTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("real-test-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private RealOptions Small() => new()
    {
        Volunteers = 3,
        CapacityBytesPerSecond = 20_000_000 / 8.0,
        Loads = [0.3],
        WindowSeconds = 2,
        AnnounceSeconds = 1,
        Policies = [PolicyKind.Feedback, PolicyKind.ByRequests, PolicyKind.ByteCounter],
        EqualSizeBytes = 64 * 1024,
        LargestBytes = 256 * 1024,
        Extras = false,
        Out = _out,
    };

    [Fact]
    public async Task Every_customer_gets_the_right_bytes_from_an_agent_and_the_agents_and_namespaces_are_gone_afterwards()
    {
        var experiment = new RealExperiment(Small(), TextWriter.Null);
        var runs = await experiment.RunAsync(CancellationToken.None);

        Assert.Equal(3, runs.Count);
        Assert.All(runs, run =>
        {
            Assert.Equal(0, run.Failed);
            Assert.Equal(0, run.WrongBytes);
            Assert.NotEmpty(run.Result.ResponseSeconds);

            // Every request was chosen by the gateway for one of the agents (index 3 would be "none").
            Assert.All(run.Result.ServedBy, v => Assert.InRange(v, 0, 2));
        });

        // The byte-counter policy's view: every body byte the customers received was counted at the agent the gateway chose for it
        // (the runs attribute it by the gateway's choice, the meter by the address that sent it), none left in flight.
        var meter = experiment.Meter!;
        Assert.All(meter.Ids.Select((id, v) => (id, v)), p =>
        {
            Assert.Equal(runs.Sum(r => r.Result.Volunteers[p.v].CustomerBytes), meter.Bytes(p.id));
            Assert.Equal(0, meter.InFlight(p.id));
            Assert.Equal(0, meter.Pending(p.id));
        });
        Assert.True(meter.Ids.Sum(meter.Bytes) > 0);

        // One record per request of every policy's run, with the chosen agent and the estimate of each agent at the pick.
        var records = File.ReadAllLines(Path.Combine(_out, "real-requests-trace-redirect-30.csv"));
        Assert.StartsWith("policy,request,at_s,path,bytes,chosen,seconds,status,rep_v0,loc_v0,kern_v0,bc_v0,", records[0], StringComparison.Ordinal);
        Assert.Equal(runs.Sum(r => r.Result.ResponseSeconds.Length), records.Length - 1);
        Assert.All(records.Skip(1), line =>
        {
            var fields = line.Split(',');
            Assert.Equal(8 + (3 * 4), fields.Length);
            Assert.All(Enumerable.Range(0, 3), v => Assert.InRange(double.Parse(fields[8 + (4 * v) + 3], System.Globalization.CultureInfo.InvariantCulture), 0, 3 * LinkShareEstimator.MaxFlows));
            Assert.Matches("^v[0-2]$", fields[5]);
            Assert.Equal("200", fields[7]);
        });
        await AssertRemovedAsync(experiment.Lab);
    }

    [Fact]
    public async Task A_run_that_fails_after_the_agents_started_still_stops_them_and_removes_the_namespaces()
    {
        var experiment = new RealExperiment(Small(), TextWriter.Null)
        {
            AfterSetup = _ => throw new InvalidOperationException("the experiment failed half-way"),
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => experiment.RunAsync(CancellationToken.None));
        Assert.Equal("the experiment failed half-way", error.Message);
        await AssertRemovedAsync(experiment.Lab);
    }

    private static async Task AssertRemovedAsync(NetworkLab? lab)
    {
        await LabChecks.NetworkRemovedAsync(lab);
        Assert.All(lab!.Volunteers, v =>
        {
            // The agent and the aria2c it started were both seen in the namespace, and neither runs any more.
            Assert.True(v.ProcessIds.Count >= 2, $"{v.Namespace}: processes seen {string.Join(",", v.ProcessIds)}");
            Assert.All(v.ProcessIds, pid => Assert.False(LabChecks.Runs(pid), $"process {pid} of {v.Namespace} still runs"));
        });
    }
}
