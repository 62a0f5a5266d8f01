using System.Globalization;
using System.IO.Compression;
using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;

namespace Gateway.Simulation.Output;

/// <summary>
/// The raw per-request records of one seed and load, gzip-compressed: a row per request with its submission time,
/// size, flash flag and catalog file, then per policy (same arrivals) the response time and who served it
/// (the volunteer index; the volunteer count means the origin).
/// </summary>
internal static class RequestCsv
{
    public static void Write(string path, Workload workload, IReadOnlyList<RunResult> runs)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(runs);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        using var writer = new StreamWriter(gzip);
        writer.Write("time_s,bytes,hot,file");
        foreach (var run in runs)
        {
            writer.Write(string.Create(CultureInfo.InvariantCulture, $",response_s_{run.Policy.Label()},served_by_{run.Policy.Label()}"));
        }

        writer.WriteLine();
        for (var i = 0; i < workload.Requests.Count; i++)
        {
            var request = workload.Requests[i];
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"{request.Time:F3},{request.Bytes:F0},{(request.Hot ? 1 : 0)},{request.File}"));
            foreach (var run in runs)
            {
                writer.Write(string.Create(CultureInfo.InvariantCulture, $",{run.ResponseSeconds[i]:F3},{run.ServedBy[i]}"));
            }

            writer.WriteLine();
        }
    }
}
