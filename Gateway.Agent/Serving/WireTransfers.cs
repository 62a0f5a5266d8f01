using System.Globalization;

namespace Gateway.Agent.Serving;

/// <summary>
/// Customer transfers still on the wire: established connections on the customers' port whose sent bytes the
/// customer has not all acknowledged yet (Linux's socket table, <c>/proc/net/tcp{,6}</c>, this process's network
/// namespace). Kestrel calls a response done once its last byte is in the socket's send buffer, and the kernel
/// buffers up to 4 MB per socket: on a 10 Mbit/s uplink a 2 MiB file "ends" at once and then takes seconds more to
/// arrive. Counting only the responses Kestrel runs made a busy link report almost no transfers (seen in the real
/// experiment: 1 reported against 17 connections with unsent data). Elsewhere than Linux the count is 0.
/// </summary>
public sealed class WireTransfers(AgentEndpoints endpoints)
{
    private static readonly string[] Tables = ["/proc/net/tcp", "/proc/net/tcp6"];

    /// <summary>Connections on the customers' port with bytes not yet acknowledged, now, and those bytes.</summary>
    public WireLoad Measure()
    {
        if (endpoints.ListenUrl is not { } url)
        {
            return default;
        }

        var load = default(WireLoad);
        foreach (var table in Tables)
        {
            try
            {
                load += Measure(File.ReadLines(table), url.Port);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No such table here (not Linux, or no IPv6): nothing to add.
            }
        }

        return load;
    }

    /// <summary>
    /// In a <c>/proc/net/tcp</c> table: rows in state ESTABLISHED (01) whose local port is <paramref name="port"/> and
    /// whose transmit queue (unacknowledged plus unsent bytes) is not empty, and the sum of those queues.
    /// </summary>
    public static WireLoad Measure(IEnumerable<string> table, int port)
    {
        ArgumentNullException.ThrowIfNull(table);
        var load = default(WireLoad);
        foreach (var line in table)
        {
            // "  sl  local_address rem_address   st tx_queue:rx_queue ...": the header has no ':' in its fourth field.
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5 || fields[3] != "01")
            {
                continue;
            }

            var localPort = fields[1].LastIndexOf(':');
            var queues = fields[4].IndexOf(':', StringComparison.Ordinal);
            if (localPort < 0 || queues < 0
                || !int.TryParse(fields[1].AsSpan(localPort + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var local)
                || !long.TryParse(fields[4].AsSpan(0, queues), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var unsent))
            {
                continue;
            }

            if (local == port && unsent > 0)
            {
                load += new WireLoad(1, unsent);
            }
        }

        return load;
    }
}

/// <summary>Customer connections with bytes in the kernel not yet acknowledged, and how many bytes.</summary>
public readonly record struct WireLoad(int Transfers, long QueuedBytes)
{
    public static WireLoad operator +(WireLoad a, WireLoad b) => new(a.Transfers + b.Transfers, a.QueuedBytes + b.QueuedBytes);
}
