using Gateway.Simulation.Harness;
using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;

namespace Gateway.Simulation.Real;

/// <summary>One policy's run of one cell, measured, in the simulator's result shape (so tables and plots are shared).</summary>
/// <param name="Cell">Sizes, mode and load.</param>
/// <param name="Result">Response times, serving volunteers and link use, as the simulator reports them.</param>
/// <param name="Failed">Requests that did not complete with status 200.</param>
/// <param name="WrongBytes">Completed requests whose body's SHA-256 was not the file's.</param>
internal sealed record RealRun(RealCell Cell, RunResult Result, int Failed, int WrongBytes)
{
    /// <summary>
    /// Per volunteer: customer bytes are what the customers it served received; all bytes are its link's counter
    /// over the run (arrivals and drain); sync bytes are the rest (BitTorrent, plus TCP/HTTP overhead).
    /// </summary>
    public static RealRun From(
        RealCell cell, PolicyKind policy, RealOptions options, IReadOnlyList<Arrival> schedule, IReadOnlyList<CustomerResult> results,
        ServedByRecorder recorder, string[] ids, bool[] syncing, IReadOnlyDictionary<string, string> sha256,
        long[] before, long[] after, double elapsedSeconds)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(syncing);
        ArgumentNullException.ThrowIfNull(sha256);
        var index = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        var servedBy = new int[results.Count];
        var customerBytes = new double[ids.Length];
        var served = new int[ids.Length];
        var failed = 0;
        var wrong = 0;
        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            servedBy[i] = recorder.ChosenFor(i) is { } id && index.TryGetValue(id, out var v) ? v : ids.Length;
            if (r.Error is not null || r.Status != 200)
            {
                failed++;
                continue;
            }

            if (!sha256.TryGetValue(r.Path, out var expected) || expected != r.Sha256)
            {
                wrong++;
            }

            if (servedBy[i] < ids.Length)
            {
                customerBytes[servedBy[i]] += r.Bytes;
                served[servedBy[i]]++;
            }
        }

        var volunteers = ids.Select((id, v) =>
        {
            var total = (double)(after[v] - before[v]);
            var customers = Math.Min(customerBytes[v], total);
            return new VolunteerUse(id, syncing[v], options.CapacityBytesPerSecond, customers, total - customers, elapsedSeconds, served[v]);
        }).ToList();
        var scenario = options.ScenarioFor(cell, schedule.Count);
        var result = new RunResult(scenario, policy, [.. results.Select(r => r.Seconds)], servedBy, volunteers,
            customerBytes.Sum(), 0, failed, TimeSpan.FromSeconds(elapsedSeconds));
        return new RealRun(cell, result, failed, wrong);
    }
}
