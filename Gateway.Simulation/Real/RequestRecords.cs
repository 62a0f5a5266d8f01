using System.Globalization;
using System.Text;
using Gateway.Simulation.Harness;
using Gateway.Simulation.Policies;

namespace Gateway.Simulation.Real;

/// <summary>
/// One CSV per cell with a row per request of every policy's run: when it was submitted, what it asked for, who the
/// gateway chose, how long it took, and per volunteer what the gateway's estimator believed at the pick (reported
/// load, blank when unknown; its own dispatches), the kernel's count of connections with unsent data, and the byte-counter
/// policy's load in customer flows (bc_). The evidence for why a slow request was slow.
/// </summary>
internal sealed class RequestRecords(string path, IReadOnlyList<string> ids)
{
    private bool _headerWritten;

    public async Task AppendAsync(
        PolicyKind policy, IReadOnlyList<Arrival> schedule, IReadOnlyList<CustomerResult> results, IReadOnlyDictionary<string, long> sizes,
        ServedByRecorder recorder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(recorder);
        var text = new StringBuilder();
        if (!_headerWritten)
        {
            text.Append("policy,request,at_s,path,bytes,chosen,seconds,status");
            foreach (var id in ids)
            {
                text.Append(CultureInfo.InvariantCulture, $",rep_{id},loc_{id},kern_{id},bc_{id}");
            }

            text.AppendLine();
            _headerWritten = true;
        }

        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            text.Append(CultureInfo.InvariantCulture,
                $"{policy.Label()},{i},{schedule[i].At:F3},{schedule[i].Path},{sizes[schedule[i].Path]},{recorder.ChosenFor(i) ?? ""},{r.Seconds:F3},{r.Status}");
            var beliefs = recorder.BeliefsFor(i);
            for (var v = 0; v < ids.Count; v++)
            {
                if (beliefs is null)
                {
                    text.Append(",,,,");
                    continue;
                }

                var b = beliefs[v];
                text.Append(CultureInfo.InvariantCulture, $",{(b.Reported is { } rep ? rep.ToString("F2", CultureInfo.InvariantCulture) : "")},{b.Local:F0},{b.Kernel:F0},{b.ByteCounter:F1}");
            }

            text.AppendLine();
        }

        await File.AppendAllTextAsync(path, text.ToString(), cancellationToken).ConfigureAwait(false);
    }
}
