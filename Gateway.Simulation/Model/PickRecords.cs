using System.Globalization;

namespace Gateway.Simulation.Model;

/// <summary>
/// Per request, what its picks looked like from the model's side (simulation diagnostics, off by default): how
/// often it was dispatched (a leaving volunteer breaks a transfer), and at its last pick the chosen volunteer's
/// true flows against the fewest flows any candidate had, how many candidates there were, and how old the
/// chosen one's last announce was. The difference of the flows is what the policy's estimate got wrong.
/// </summary>
internal sealed class PickRecords(int requests)
{
    private readonly int[] _dispatches = new int[requests];
    private readonly int[] _chosenFlows = new int[requests];
    private readonly int[] _fewestFlows = new int[requests];
    private readonly int[] _candidates = new int[requests];
    private readonly double[] _announceAge = new double[requests];
    private readonly double[] _holderAge = new double[requests];
    private readonly double[] _reported = new double[requests];
    private readonly double[] _local = new double[requests];

    public void Picked(int request, int chosenFlows, int fewestFlows, int candidates, double announceAge, double holderAge, double reported, double local)
    {
        _reported[request] = reported;
        _local[request] = local;
        _dispatches[request]++;
        _chosenFlows[request] = chosenFlows;
        _fewestFlows[request] = fewestFlows;
        _candidates[request] = candidates;
        _announceAge[request] = announceAge;
        _holderAge[request] = holderAge;
    }

    /// <summary>One row per request: its submission, size, hot or not, the picks, and the outcome.</summary>
    public void Write(string path, IReadOnlyList<Request> requests, double[] responseSeconds, int[] servedBy)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("time,bytes,hot,dispatches,served_by,response_s,chosen_flows,fewest_flows,candidates,announce_age_s,holder_age_s,est_reported,est_local");
        for (var i = 0; i < requests.Count; i++)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{requests[i].Time:F3},{requests[i].Bytes:F0},{(requests[i].Hot ? 1 : 0)},{_dispatches[i]},{servedBy[i]},{responseSeconds[i]:F3},{_chosenFlows[i]},{_fewestFlows[i]},{_candidates[i]},{_announceAge[i]:F1},{_holderAge[i]:F1},{_reported[i]:F2},{_local[i]:F0}"));
        }
    }
}
