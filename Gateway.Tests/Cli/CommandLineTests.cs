using System.Net;
using System.Net.Sockets;
using Gateway.Cli;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cli;

/// <summary>
/// The executable's command line, run in-process: help on every command answers and starts nothing, --version
/// names the build, and a typo is refused with exit 2 and a suggestion.
/// </summary>
public sealed class CommandLineTests
{
    /// <summary>Every command's help, with the settings that would make it listen on <c>{port}</c> if it started.</summary>
    public static TheoryData<string, string> HelpCommands => new()
    {
        { "--help", "Gateway [command] [options]" },
        { "-h", "Gateway [command] [options]" },
        { "serve --urls http://127.0.0.1:{port} --help", "Gateway serve" },
        { "--urls http://127.0.0.1:{port} --help", "Gateway serve" },
        { "publish --help", "Gateway publish <folder> [options]" },
        { "demo --port {port} --help", "Gateway demo [options]" },
        { "tracker --Tracker:Urls=http://127.0.0.1:{port} --Tracker:UdpPort={port} --help", "Gateway tracker" },
        { "volunteer --Volunteer:Listen=http://127.0.0.1:{port} --help", "Gateway volunteer" },
        { "volunteer status --control http://127.0.0.1:{port} --help", "Gateway volunteer" },
        { "volunteer drain --help", "Gateway volunteer" },
        { "import-apache --help", "Gateway import-apache <httpd.conf> [options]" },
        { "verify-proxy --VerifyProxy:Listen=http://127.0.0.1:{port} --help", "Gateway verify-proxy" },
        { "verify-proxy -?", "Gateway verify-proxy" },
    };

    [Theory]
    [MemberData(nameof(HelpCommands))]
    public async Task Help_answers_with_usage_and_starts_nothing(string commandLine, string usage)
    {
        var port = TestPorts.Tcp();
        var (exitCode, output, errors) = await RunAsync(commandLine.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.True(exitCode == 0, errors);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains(usage, output, StringComparison.Ordinal);
        Assert.Contains("--help", output, StringComparison.Ordinal);
        Assert.Equal(string.Empty, errors);

        // Had the command started its host it would still be running (RunAsync waits); the port is free too.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task The_root_help_lists_every_command()
    {
        var (_, output, _) = await RunAsync("--help");
        foreach (var command in new[] { "serve", "publish", "demo", "tracker", "volunteer", "import-apache", "verify-proxy" })
        {
            Assert.Contains("  " + command + " ", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Version_prints_the_informational_version_with_the_commit()
    {
        var (exitCode, output, _) = await RunAsync("--version");
        Assert.Equal(0, exitCode);
        Assert.Equal(GatewayCommands.Version, output.Trim());
        Assert.Matches(@"^\d+\.\d+\.\d+.*\+\S+$", output.Trim());
    }

    [Theory]
    [InlineData("serev", "serve")]
    [InlineData("volunteer statsu", "status")]
    [InlineData("serve --confgi app.json", "--config")]
    [InlineData("--hlep", "--help")]
    [InlineData("demo --prot 8080", "--port")]
    [InlineData("import-apache httpd.conf --balncer b", "--balancer")]
    public async Task A_typo_exits_2_with_a_suggestion(string commandLine, string suggestion)
    {
        var (exitCode, output, errors) = await RunAsync(commandLine);
        Assert.Equal(2, exitCode);
        Assert.Equal(string.Empty, output);
        Assert.Contains(suggestion, errors, StringComparison.Ordinal);
        Assert.Contains("--help' for usage", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("demo --bogus")]
    [InlineData("tracker --bogus")]
    [InlineData("verify-proxy --VerifyProxy:Listen=http://127.0.0.1:9 stray")]
    [InlineData("publish")]
    [InlineData("volunteer status --control not-a-url")]
    public async Task Unknown_options_and_bad_arguments_exit_2_with_a_message(string commandLine)
    {
        var (exitCode, _, errors) = await RunAsync(commandLine);
        Assert.Equal(2, exitCode);
        Assert.NotEqual(string.Empty, errors.Trim());
    }

    [Fact]
    public async Task A_configuration_error_exits_2_naming_the_setting()
    {
        var (exitCode, _, errors) = await RunAsync("serve --urls http://127.0.0.1:0 --Origin:Url=ftp://origin/");
        Assert.Equal(2, exitCode);
        Assert.Contains("Origin:Url", errors, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string commandLine)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = GatewayCommands.RunAsync(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries), output, errors, timeout.Token);
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20))) == run, $"'{commandLine}' did not return: it started something.\n{output}\n{errors}");
        return (await run, output.ToString(), errors.ToString());
    }
}
