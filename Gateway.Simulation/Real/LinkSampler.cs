using System.Diagnostics;
using System.Globalization;
using Gateway.Simulation.Harness;

namespace Gateway.Simulation.Real;

/// <summary>
/// Reads every volunteer's true load, fast (every <see cref="Period"/>), for the byte-counter policy: bytes its link sent (the
/// host end's rx counter) against the bytes the customers received from it (<see cref="CustomerMeter"/>), whose
/// difference is its BitTorrent traffic, counted as customer flows by <see cref="LinkShareEstimator"/>. It also keeps,
/// for the per-request records, the kernel's count of TCP connections with unsent data in the volunteer's namespace
/// (<c>/proc/PID/net/tcp</c>; customers on the HTTP port, BitTorrent on the others): the byte-counter policy's input before, which
/// counted every BitTorrent connection with a few unsent bytes as a whole flow. It is also the run's record of link use.
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
    private readonly IReadOnlyList<string> _ids;
    private readonly CustomerMeter _customers;
    private readonly LinkShareEstimator[] _shares;
    private readonly long[] _lastCustomerBytes;
    private readonly double[] _syncFlowsEquivalent;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LinkSampler(IReadOnlyList<LabVolunteer> volunteers, IReadOnlyList<string> ids, CustomerMeter customers, double capacityBytesPerSecond)
    {
        _ids = ids;
        _customers = customers;
        _shares = [.. volunteers.Select(_ => new LinkShareEstimator(capacityBytesPerSecond))];
        _lastCustomerBytes = [.. ids.Select(customers.Bytes)];
        _syncFlowsEquivalent = new double[volunteers.Count];
        _volunteers = volunteers;
        _index = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        _lastBytes = [.. volunteers.Select(v => v.UploadedBytes())];
        _rate = new double[volunteers.Count];
        _customerFlows = new int[volunteers.Count];
        _syncFlows = new int[volunteers.Count];
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    /// <summary>
    /// A volunteer's true load now, in customer flows: its customer transfers in flight and the picks sent its way whose
    /// transfer has not begun (both exact, as the customers count them), plus its BitTorrent traffic as customer flows
    /// at the last sample.
    /// </summary>
    public double Load(string id) =>
        _customers.InFlight(id) + _customers.Pending(id) + Volatile.Read(ref _syncFlowsEquivalent[_index[id]]);

    /// <summary>The kernel's TCP connections with unsent data on the volunteer's link at the last sample (customers + BitTorrent).</summary>
    public int KernelFlows(string id)
    {
        var i = _index[id];
        return Volatile.Read(ref _customerFlows[i]) + Volatile.Read(ref _syncFlows[i]);
    }

    /// <summary>Upload rate at the last sample (bytes/s): breaks ties between equally loaded links.</summary>
    public double Rate(string id) => Volatile.Read(ref _rate[_index[id]]);

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
        var last = Stopwatch.GetTimestamp();
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            // The ticks come late on a busy machine: rates are over the time that really passed.
            var now = Stopwatch.GetTimestamp();
            var seconds = Math.Max(Stopwatch.GetElapsedTime(last, now).TotalSeconds, 1e-3);
            last = now;
            for (var i = 0; i < _volunteers.Count; i++)
            {
                var bytes = _volunteers[i].UploadedBytes();
                var customerBytes = _customers.Bytes(_ids[i]);
                Volatile.Write(ref _rate[i], (bytes - _lastBytes[i]) / seconds);
                _shares[i].Observe(bytes - _lastBytes[i], customerBytes - _lastCustomerBytes[i], seconds);
                Volatile.Write(ref _syncFlowsEquivalent[i], _shares[i].SyncFlows(_customers.InFlight(_ids[i])));
                _lastBytes[i] = bytes;
                _lastCustomerBytes[i] = customerBytes;
                var (customers, sync) = Flows(_volunteers[i]);
                Volatile.Write(ref _customerFlows[i], customers);
                Volatile.Write(ref _syncFlows[i], sync);
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
