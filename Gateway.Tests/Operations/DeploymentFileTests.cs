using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Operations;

/// <summary>
/// docker/ and systemd/ cannot run here (no Docker engine, no systemd as PID 1), so they are checked by
/// the tools that do run: docker-compose's own parser, systemd-analyze, and a check that every file they
/// reference exists in this repository.
/// </summary>
public sealed partial class DeploymentFileTests
{
    private static readonly string Compose = RepositoryFiles.PathOf("docker/compose.yaml");

    [Fact]
    public async Task Docker_compose_accepts_the_compose_file()
    {
        var check = await CommandLine.RunAsync("docker-compose", ["-f", Compose, "config", "-q"]);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
    }

    [Fact]
    public async Task Every_file_the_compose_file_and_the_dockerfile_reference_exists()
    {
        using var compose = await ResolvedComposeAsync();
        var services = compose.RootElement.GetProperty("services");
        Assert.Equal(
            ["gateway-a", "gateway-b", "grafana", "origin", "prometheus", "publish", "redis", "tracker", "volunteer-1", "volunteer-2", "volunteer-3"],
            services.EnumerateObject().Select(s => s.Name).Order(StringComparer.Ordinal));

        var named = compose.RootElement.TryGetProperty("volumes", out var declared)
            ? declared.EnumerateObject().Select(v => v.Name).ToHashSet(StringComparer.Ordinal)
            : [];
        var dockerfiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in services.EnumerateObject())
        {
            if (service.Value.TryGetProperty("build", out var build))
            {
                var context = build.GetProperty("context").GetString()!;
                var dockerfile = Path.Combine(context, build.GetProperty("dockerfile").GetString()!);
                Assert.True(File.Exists(dockerfile), $"{service.Name}: {dockerfile} is missing");
                dockerfiles.Add(dockerfile);
                if (build.TryGetProperty("target", out var target))
                {
                    Assert.Contains(File.ReadAllLines(dockerfile), line => line.StartsWith("FROM ", StringComparison.Ordinal) && line.EndsWith(" AS " + target.GetString(), StringComparison.Ordinal));
                }
                foreach (var source in CopySources(dockerfile))
                {
                    Assert.True(File.Exists(Path.Combine(context, source)) || Directory.Exists(Path.Combine(context, source)), $"{dockerfile} copies {source}, which is missing");
                }
            }

            if (service.Value.TryGetProperty("volumes", out var volumes))
            {
                foreach (var volume in volumes.EnumerateArray())
                {
                    var source = volume.GetString()!.Split(':')[0];

                    // A named volume (the volunteers' storage) is Docker's, not a file of ours.
                    if (named.Contains(source))
                    {
                        continue;
                    }

                    // The repository folder is the operator's (REPO_DIR), or what 'Gateway demo' generates.
                    if (source.StartsWith(RepositoryFiles.PathOf("demo-data"), StringComparison.Ordinal))
                    {
                        continue;
                    }

                    Assert.True(File.Exists(source) || Directory.Exists(source), $"{service.Name} mounts {source}, which is missing");
                }
            }
        }

        Assert.Single(dockerfiles);

        // Grafana reads dashboards from where the compose file mounts the shipped one.
        var provider = await File.ReadAllTextAsync(RepositoryFiles.PathOf("docker/grafana/provisioning/dashboards/gateway.yml"));
        var dashboardFolder = ProviderPath().Match(provider).Groups[1].Value;
        var grafanaMounts = services.GetProperty("grafana").GetProperty("volumes").EnumerateArray().Select(v => v.GetString()!).ToArray();
        Assert.Contains(grafanaMounts, m => m.Contains("gateway-dashboard.json:" + dashboardFolder + "/", StringComparison.Ordinal));
        Assert.Contains(grafanaMounts, m => m.Contains("volunteer-dashboard.json:" + dashboardFolder + "/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("gateway.service")]
    [InlineData("tracker.service")]
    [InlineData("volunteer.service")]
    public async Task Each_systemd_unit_passes_systemd_analyze_verify_without_warnings(string unit)
    {
        var verify = await CommandLine.RunAsync("systemd-analyze", ["verify", RepositoryFiles.PathOf("systemd/" + unit)]);
        Assert.True(verify.ExitCode == 0 && verify.Stderr.Length == 0 && verify.Stdout.Length == 0, $"exit {verify.ExitCode}: {verify.Stdout}{verify.Stderr}");
    }

    [Fact]
    public async Task Each_compose_volunteer_gets_a_valid_agent_configuration_from_the_shipped_file_and_its_environment()
    {
        using var compose = await ResolvedComposeAsync();
        var volunteers = compose.RootElement.GetProperty("services").EnumerateObject().Where(s => s.Name.StartsWith("volunteer-", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, volunteers.Length);
        var gatewayKeys = JsonKeys("config/appsettings.compose.json");
        foreach (var service in volunteers)
        {
            var mount = service.Value.GetProperty("volumes").EnumerateArray().Select(v => v.GetString()!).Single(v => v.Contains(":/etc/volunteer/volunteer.json", StringComparison.Ordinal));
            var environment = service.Value.GetProperty("environment").EnumerateObject()
                .Select(e => $"--{e.Name.Replace("__", ":", StringComparison.Ordinal)}={e.Value.GetString()}");
            var app = Gateway.Agent.Hosting.VolunteerAgentHost.Build(["--config", mount.Split(':')[0], .. environment]);
            await using (app)
            {
                var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Gateway.Agent.VolunteerAgentOptions>>().Value;
                Assert.Contains(options.Key, gatewayKeys);
                Assert.StartsWith("http://" + service.Name + ":", options.PublicUrl, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>The volunteer keys a shipped JSON settings file lists.</summary>
    private static string[] JsonKeys(string file)
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.PathOf(file)), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return [.. settings.RootElement.GetProperty("Volunteers").EnumerateArray().Select(v => v.GetProperty("Key").GetString()!)];
    }

    /// <summary>The compose file as docker-compose resolves it (absolute paths, defaults filled in), read as JSON.</summary>
    private static async Task<JsonDocument> ResolvedComposeAsync()
    {
        var resolved = await CommandLine.RunAsync("docker-compose", ["-f", Compose, "config"]);
        Assert.True(resolved.ExitCode == 0, resolved.Stderr);
        var file = Path.Combine(Path.GetTempPath(), "gw-tests", Guid.NewGuid().ToString("N") + ".yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        try
        {
            await File.WriteAllTextAsync(file, resolved.Stdout);
            var json = await CommandLine.RunAsync("python3", ["-c", "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)", file]);
            Assert.True(json.ExitCode == 0, json.Stderr);
            return JsonDocument.Parse(json.Stdout);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static IEnumerable<string> CopySources(string dockerfile) =>
        File.ReadAllLines(dockerfile)
            .Where(line => line.StartsWith("COPY ", StringComparison.Ordinal) && !line.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1]);

    [GeneratedRegex(@"path:\s*(\S+)")]
    private static partial Regex ProviderPath();
}
