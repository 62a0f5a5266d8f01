using System.Globalization;
using Gateway.Simulation.Harness;

namespace Gateway.Simulation.Real;

/// <summary>
/// Reads every volunteer's true load from the kernel, fast (every <see cref="Period"/>): bytes its link sent
/// (the host end's rx counter) and its TCP connections with unsent data (its network namespace's socket table,
/// <c>/proc/PID/net/tcp</c>): customer transfers on the HTTP port and BitTorrent uploads on the others. The
/// oracle reads it; it is also the run's record of link use.
/// </summary>
internal sealed class LinkSampler : IAsyncDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    private readonly IReadOnlyList<LabVolunteer> _volunteers;
    private readonly Dictionary<string, int> _index;
    private readonly long[] _lastBytes;
    private readonly double[] _rate;
    private readonly int[] _customerFlows;
    private readonly int[] _syncFlows;
    private readonly int[] _picks;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LinkSampler(IReadOnlyList<LabVolunteer> volunteers, IReadOnlyList<string> ids)
    {
        _volunteers = volunteers;
        _index = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        _lastBytes = [.. volunteers.Select(v => v.UploadedBytes())];
        _rate = new double[volunteers.Count];
        _customerFlows = new int[volunteers.Count];
        _syncFlows = new int[volunteers.Count];
        _picks = new int[volunteers.Count];
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    /// <summary>A volunteer's true load now: flows with data waiting to be sent, plus picks made since the last sample (not visible yet).</summary>
    public double Load(string id)
    {
        var i = _index[id];
        return Volatile.Read(ref _customerFlows[i]) + Volatile.Read(ref _syncFlows[i]) + Volatile.Read(ref _picks[i]);
    }

    /// <summary>Upload rate at the last sample (bytes/s): breaks ties between equally loaded links.</summary>
    public double Rate(string id) => Volatile.Read(ref _rate[_index[id]]);

    public void Picked(string id) => Interlocked.Increment(ref _picks[_index[id]]);

    /// <summary>Every volunteer's sent-bytes counter now.</summary>
    public long[] Counters() => [.. _volunteers.Select(v => v.UploadedBytes())];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < _volunteers.Count; i++)
            {
                var bytes = _volunteers[i].UploadedBytes();
                Volatile.Write(ref _rate[i], (bytes - _lastBytes[i]) / Period.TotalSeconds);
                _lastBytes[i] = bytes;
                var (customers, sync) = Flows(_volunteers[i]);
                Volatile.Write(ref _customerFlows[i], customers);
                Volatile.Write(ref _syncFlows[i], sync);
                Volatile.Write(ref _picks[i], 0);
            }
        }
    }

    /// <summary>Established connections with unsent bytes in the volunteer's namespace, split by the customers' port.</summary>
    private static (int Customers, int Sync) Flows(LabVolunteer volunteer)
    {
        if (volunteer.ServerProcessId is not { } pid)
        {
            return (0, 0);
        }

        var customers = 0;
        var sync = 0;
        foreach (var table in new[] { "tcp", "tcp6" })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines($"/proc/{pid}/net/{table}");
            }
            catch (IOException)
            {
                continue;
            }

            foreach (var line in lines.Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 5 || fields[3] != "01")
                {
                    continue;
                }

                var unsent = long.Parse(fields[4].AsSpan(0, fields[4].IndexOf(':', StringComparison.Ordinal)), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (unsent <= 0)
                {
                    continue;
                }

                var localPort = int.Parse(fields[1].AsSpan(fields[1].LastIndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (localPort == volunteer.Port)
                {
                    customers++;
                }
                else
                {
                    sync++;
                }
            }
        }

        return (customers, sync);
    }
}
