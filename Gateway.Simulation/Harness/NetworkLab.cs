using System.Diagnostics;
using System.Globalization;

namespace Gateway.Simulation.Harness;

/// <summary>One volunteer host of the lab: its namespace, its address and the processes started in it.</summary>
internal sealed record LabVolunteer(string Id, string Namespace, string HostVeth, string Address, int Port, string Folder)
{
    public Uri BaseUrl => new($"http://{Address}:{Port}/");

    public Process? Server { get; set; }

    /// <summary>The server's process id, kept after disposal so a check can see it is gone.</summary>
    public int? ServerProcessId { get; set; }

    /// <summary>Every process that ran in the namespace when the lab was taken down (its server and what that started, e.g. aria2c).</summary>
    public IReadOnlyList<int> ProcessIds { get; set; } = [];

    /// <summary>The server's last lines of output (stdout and stderr), to explain a failed start.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; } = new();

    public string LastOutput => string.Join('\n', Output);

    /// <summary>What the volunteer sent over its link since the lab made it (the host end's received bytes).</summary>
    public long UploadedBytes() =>
        long.Parse(File.ReadAllText($"/sys/class/net/{HostVeth}/statistics/rx_bytes").Trim(), CultureInfo.InvariantCulture);
}

/// <summary>
/// Volunteers as separate hosts on this machine: one network namespace each, joined by a veth pair to one
/// bridge on the host, all in one private /24 (10.231.S.0/24, S free on this machine) used only for the lab —
/// the host is .1, volunteer i is .(10 + i) — so volunteers reach the host and each other (BitTorrent) and
/// nothing else. Each volunteer's upload (the namespace side's egress) is shaped by a tc token bucket, so its
/// customers and its peers share one bottleneck. Every name starts with a prefix unique to the run; disposal
/// stops the processes started in the namespaces (by process id: the servers, then whatever else still runs in
/// them, e.g. aria2c) and deletes exactly the namespaces, links and bridge it created, also after a failure.
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

    /// <summary>The host's address on the lab's bridge: servers the volunteers must reach listen here.</summary>
    public string HostAddress => string.Create(CultureInfo.InvariantCulture, $"10.231.{Subnet}.1");

    public string Bridge => Prefix + "br";

    public IReadOnlyList<LabVolunteer> Volunteers => _volunteers;

    /// <summary>
    /// Creates one volunteer host per folder in <paramref name="folders"/>, each uploading at most
    /// <paramref name="uploadBitsPerSecond"/>, each serving its folder with Debian's python3 http.server.
    /// </summary>
    public static async Task<NetworkLab> CreateAsync(IReadOnlyList<string> folders, long uploadBitsPerSecond, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folders);
        var lab = await CreateAsync(folders.Count, uploadBitsPerSecond, cancellationToken).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < folders.Count; i++)
            {
                var v = lab.Volunteers[i] with { Folder = folders[i] };
                lab._volunteers[i] = v;
                lab.Start(v, PythonPath, ["-m", "http.server", v.Port.ToString(CultureInfo.InvariantCulture), "--bind", v.Address, "--directory", folders[i]]);
            }

            return lab;
        }
        catch
        {
            await lab.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates <paramref name="count"/> volunteer hosts without servers (start them with <see cref="Start"/>). Cleans up if any step fails.</summary>
    public static async Task<NetworkLab> CreateAsync(int count, long uploadBitsPerSecond, CancellationToken cancellationToken)
    {
        if (count is < 1 or > 200)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "a lab has 1 to 200 volunteers (one address each in a /24)");
        }

        var id = Guid.NewGuid().ToString("N")[..6];
        var lab = new NetworkLab($"gwe{id}", await FreeSubnetAsync(Convert.ToInt32(id[..2], 16), cancellationToken).ConfigureAwait(false));
        try
        {
            string[][] bridge =
            [
                ["link", "add", lab.Bridge, "type", "bridge"],
                ["addr", "add", $"{lab.HostAddress}/24", "dev", lab.Bridge],
                ["link", "set", lab.Bridge, "up"],
            ];
            foreach (var step in bridge)
            {
                await Command.RunAsync(Ip, step, cancellationToken).ConfigureAwait(false);
            }

            for (var i = 0; i < count; i++)
            {
                await lab.AddVolunteerAsync(i, uploadBitsPerSecond, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Starts <paramref name="file"/> inside the volunteer's namespace as its server (output discarded).</summary>
    public Process Start(LabVolunteer volunteer, string file, IEnumerable<string> args)
    {
        ArgumentNullException.ThrowIfNull(volunteer);
        ArgumentNullException.ThrowIfNull(args);
        var start = new ProcessStartInfo(Ip) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "netns", "exec", volunteer.Namespace, file }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        // ip netns exec execs the program: this process id is the server's.
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file} in {volunteer.Namespace}");
        volunteer.Server = process;
        volunteer.ServerProcessId = process.Id;
        void Keep(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is { } line)
            {
                volunteer.Output.Enqueue(line);
                while (volunteer.Output.Count > 40 && volunteer.Output.TryDequeue(out _))
                {
                }
            }
        }

        process.OutputDataReceived += Keep;
        process.ErrorDataReceived += Keep;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var volunteer in _volunteers)
        {
            await StopProcessesAsync(volunteer).ConfigureAwait(false);
        }

        // Deleting a namespace deletes the veth end inside it and with it the pair; host ends and the bridge
        // are deleted by name too in case a namespace was never made. Only names with this run's prefix.
        foreach (var name in await NamespacesAsync(Prefix, CancellationToken.None).ConfigureAwait(false))
        {
            await Command.RunAsync(Ip, ["netns", "del", name], CancellationToken.None, check: false).ConfigureAwait(false);
        }

        foreach (var link in await HostLinksAsync(Prefix, CancellationToken.None).ConfigureAwait(false))
        {
            await Command.RunAsync(Ip, ["link", "del", link], CancellationToken.None, check: false).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the server (TERM, then KILL after a grace period), then anything it left running in the namespace.</summary>
    private static async Task StopProcessesAsync(LabVolunteer volunteer)
    {
        var seen = new List<int>();
        if (volunteer.ServerProcessId is { } pid)
        {
            seen.Add(pid);
        }

        seen.AddRange(await PidsAsync(volunteer.Namespace).ConfigureAwait(false));
        volunteer.ProcessIds = [.. seen.Distinct()];
        if (volunteer.Server is { } server)
        {
            if (!server.HasExited)
            {
                // A graceful stop lets the agent stop its engine and announce that it left.
                await Command.RunAsync("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)], CancellationToken.None, check: false).ConfigureAwait(false);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await server.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    server.Kill(entireProcessTree: true);
                    await server.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            server.Dispose();
        }

        // Whatever still runs in this run's namespace was started by this lab (through its server).
        foreach (var left in await PidsAsync(volunteer.Namespace).ConfigureAwait(false))
        {
            try
            {
                using var process = Process.GetProcessById(left);
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
    }

    private static async Task<IReadOnlyList<int>> PidsAsync(string ns)
    {
        var list = await Command.RunAsync(Ip, ["netns", "pids", ns], CancellationToken.None, check: false).ConfigureAwait(false);
        return [.. list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p.Trim(), CultureInfo.InvariantCulture))];
    }

    /// <summary>A /24 in 10.231.0.0/16 no interface of this machine uses, starting from <paramref name="hint"/>.</summary>
    private static async Task<int> FreeSubnetAsync(int hint, CancellationToken cancellationToken)
    {
        var addresses = await Command.RunAsync(Ip, ["-o", "-4", "addr", "show"], cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < 200; i++)
        {
            var subnet = 16 + ((hint + i) % 200);
            if (!addresses.Contains(string.Create(CultureInfo.InvariantCulture, $" 10.231.{subnet}."), StringComparison.Ordinal))
            {
                return subnet;
            }
        }

        throw new InvalidOperationException("no free /24 in 10.231.16.0–10.231.215.0 for the lab");
    }

    private async Task AddVolunteerAsync(int index, long uploadBitsPerSecond, CancellationToken cancellationToken)
    {
        var ns = $"{Prefix}-v{index}";
        var hostVeth = $"{Prefix}h{index}";
        var inner = $"{Prefix}n{index}";
        var address = string.Create(CultureInfo.InvariantCulture, $"10.231.{Subnet}.{10 + index}");
        var volunteer = new LabVolunteer($"lab{index}", ns, hostVeth, address, 8000, string.Empty);
        _volunteers.Add(volunteer);
        string[][] steps =
        [
            ["netns", "add", ns],
            ["link", "add", hostVeth, "type", "veth", "peer", "name", inner],
            ["link", "set", inner, "netns", ns],
            ["link", "set", hostVeth, "master", Bridge],
            ["link", "set", hostVeth, "up"],
            ["netns", "exec", ns, Ip, "link", "set", inner, "name", "eth0"],
            ["netns", "exec", ns, Ip, "addr", "add", $"{address}/24", "dev", "eth0"],
            ["netns", "exec", ns, Ip, "link", "set", "eth0", "up"],
            ["netns", "exec", ns, Ip, "link", "set", "lo", "up"],
            ["netns", "exec", ns, Tc, "qdisc", "add", "dev", "eth0", "root", "tbf",
                "rate", string.Create(CultureInfo.InvariantCulture, $"{uploadBitsPerSecond}bit"), "burst", "32kb", "latency", "400ms"],
        ];
        foreach (var step in steps)
        {
            await Command.RunAsync(Ip, step, cancellationToken).ConfigureAwait(false);
        }
    }
}
