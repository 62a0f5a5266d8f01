using System.Diagnostics;

namespace Gateway.Simulation.Harness;

/// <summary>Runs a system command (ip, tc) to completion and fails loudly with its output when it fails.</summary>
internal static class Command
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, CancellationToken cancellationToken, bool check = true)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}: {await stderr.ConfigureAwait(false)}");
        }

        return output;
    }
}
