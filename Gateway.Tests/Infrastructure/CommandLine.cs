using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>The result of a real client run (curl, wget).</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs Debian's real clients with a bounded time.</summary>
public static class CommandLine
{
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}; is it installed? (./test.sh installs it)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', info.ArgumentList)} did not finish in time.");
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>curl with the given arguments; fails the test with curl's own words if curl fails.</summary>
    public static async Task<CommandResult> CurlAsync(params string[] arguments)
    {
        var result = await RunAsync("curl", ["-sS", "--max-time", "30", .. arguments]);
        Assert.True(result.ExitCode == 0, $"curl {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Stderr}");
        return result;
    }
}
