using System.Diagnostics;
using System.Globalization;

namespace Gateway.Simulation.Harness;

/// <summary>One volunteer host of the lab: its namespace, its address and its server process.</summary>
internal sealed record LabVolunteer(string Id, string Namespace, string HostVeth, string Address, int Port, string Folder)
{
    public Uri BaseUrl => new($"http://{Address}:{Port}/");

    public Process? Server { get; set; }

    /// <summary>The server's process id, kept after disposal so a check can see it is gone.</summary>
    public int? ServerProcessId { get; set; }
}

/// <summary>
/// Volunteers as separate hosts on this machine: one network namespace each, joined to the host by a veth
/// pair with a /30 out of one private /24 used only for the lab, the volunteer's upload (the namespace side's
/// egress) shaped by a tc token bucket, and a plain HTTP file server (Debian's python3 http.server) inside.
/// Every name starts with a prefix unique to the run; disposal stops the servers it started (by process)
/// and deletes exactly the namespaces and links it created, also after a failure half-way through.
/// </summary>
internal sealed class NetworkLab : IAsyncDisposable
{
    public const string PythonPath = "/usr/bin/python3";
    private const string Ip = "ip";
    private const string Tc = "tc";
    private readonly List<LabVolunteer> _volunteers = [];

    private NetworkLab(string prefix, int subnet)
    {
        Prefix = prefix;
        Subnet = subnet;
    }

    /// <summary>Starts every namespace, link and veth of this run (at most 11 characters, so a veth name fits in 15).</summary>
    public string Prefix { get; }

    /// <summary>The lab's /24 is 10.231.<c>Subnet</c>.0/24.</summary>
    public int Subnet { get; }

    public IReadOnlyList<LabVolunteer> Volunteers => _volunteers;

    /// <summary>
    /// Creates one volunteer host per folder in <paramref name="folders"/>, each uploading at
    /// most <paramref name="uploadBitsPerSecond"/>. Cleans up what it made if any step fails.
    /// </summary>
    public static async Task<NetworkLab> CreateAsync(IReadOnlyList<string> folders, long uploadBitsPerSecond, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folders);
        if (folders.Count is < 1 or > 60)
        {
            throw new ArgumentOutOfRangeException(nameof(folders), "a lab has 1 to 60 volunteers (one /30 each in a /24)");
        }

        var id = Guid.NewGuid().ToString("N")[..6];
        var lab = new NetworkLab($"gwe{id}", 16 + (Convert.ToInt32(id[..2], 16) % 200));
        try
        {
            for (var i = 0; i < folders.Count; i++)
            {
                await lab.AddVolunteerAsync(i, folders[i], uploadBitsPerSecond, cancellationToken).ConfigureAwait(false);
            }

            return lab;
        }
        catch
        {
            await lab.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The namespaces on this machine whose names start with <paramref name="prefix"/>.</summary>
    public static async Task<IReadOnlyList<string>> NamespacesAsync(string prefix, CancellationToken cancellationToken)
    {
        var list = await Command.RunAsync(Ip, ["netns", "list"], cancellationToken).ConfigureAwait(false);
        return [.. list.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))];
    }

    /// <summary>The links on the host side whose names start with <paramref name="prefix"/>.</summary>
    public static async Task<IReadOnlyList<string>> HostLinksAsync(string prefix, CancellationToken cancellationToken)
    {
        var list = await Command.RunAsync(Ip, ["-o", "link", "show"], cancellationToken).ConfigureAwait(false);
        return [.. list.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':')[1].Trim().Split('@')[0])
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))];
    }

    /// <summary>The qdisc shaping a volunteer's upload, as tc shows it (for checks).</summary>
    public static Task<string> ShapingAsync(LabVolunteer volunteer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(volunteer);
        return Command.RunAsync(Ip, ["netns", "exec", volunteer.Namespace, Tc, "qdisc", "show", "dev", "eth0"], cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var volunteer in _volunteers)
        {
            if (volunteer.Server is { } server)
            {
                if (!server.HasExited)
                {
                    server.Kill();
                    await server.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }

                server.Dispose();
            }
        }

        // Deleting a namespace deletes the veth end inside it and with it the pair; the host end is
        // deleted by name too in case the namespace was never made. Only names with this run's prefix.
        foreach (var name in await NamespacesAsync(Prefix, CancellationToken.None).ConfigureAwait(false))
        {
            await Command.RunAsync(Ip, ["netns", "del", name], CancellationToken.None, check: false).ConfigureAwait(false);
        }

        foreach (var link in await HostLinksAsync(Prefix, CancellationToken.None).ConfigureAwait(false))
        {
            await Command.RunAsync(Ip, ["link", "del", link], CancellationToken.None, check: false).ConfigureAwait(false);
        }
    }

    private async Task AddVolunteerAsync(int index, string folder, long uploadBitsPerSecond, CancellationToken cancellationToken)
    {
        var ns = $"{Prefix}-v{index}";
        var hostVeth = $"{Prefix}h{index}";
        var inner = $"{Prefix}n{index}";
        var hostAddress = $"10.231.{Subnet}.{(4 * index) + 1}";
        var address = $"10.231.{Subnet}.{(4 * index) + 2}";
        var volunteer = new LabVolunteer($"lab{index}", ns, hostVeth, address, 8000, folder);
        _volunteers.Add(volunteer);
        string[][] steps =
        [
            ["netns", "add", ns],
            ["link", "add", hostVeth, "type", "veth", "peer", "name", inner],
            ["link", "set", inner, "netns", ns],
            ["addr", "add", $"{hostAddress}/30", "dev", hostVeth],
            ["link", "set", hostVeth, "up"],
            ["netns", "exec", ns, Ip, "link", "set", inner, "name", "eth0"],
            ["netns", "exec", ns, Ip, "addr", "add", $"{address}/30", "dev", "eth0"],
            ["netns", "exec", ns, Ip, "link", "set", "eth0", "up"],
            ["netns", "exec", ns, Ip, "link", "set", "lo", "up"],
            ["netns", "exec", ns, Tc, "qdisc", "add", "dev", "eth0", "root", "tbf",
                "rate", string.Create(CultureInfo.InvariantCulture, $"{uploadBitsPerSecond}bit"), "burst", "32kb", "latency", "400ms"],
        ];
        foreach (var step in steps)
        {
            await Command.RunAsync(Ip, step, cancellationToken).ConfigureAwait(false);
        }

        var start = new ProcessStartInfo(Ip) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "netns", "exec", ns, PythonPath, "-m", "http.server", "8000", "--bind", address, "--directory", folder })
        {
            start.ArgumentList.Add(arg);
        }

        // ip netns exec execs the server: this process id is the server's.
        volunteer.Server = Process.Start(start) ?? throw new InvalidOperationException($"could not start the server in {ns}");
        volunteer.ServerProcessId = volunteer.Server.Id;
        volunteer.Server.OutputDataReceived += static (_, _) => { };
        volunteer.Server.ErrorDataReceived += static (_, _) => { };
        volunteer.Server.BeginOutputReadLine();
        volunteer.Server.BeginErrorReadLine();
    }
}
