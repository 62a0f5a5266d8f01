using System.Globalization;
using System.Security.Cryptography;

namespace Gateway.Tests.Infrastructure;

/// <summary>Builds real .deb packages (dpkg-deb) and apt indexes (dpkg-scanpackages, a Release file) in a test repository.</summary>
public static class DebRepository
{
    public static async Task<string> BuildDebAsync(TestRepository repository, string name, int payload)
    {
        var build = Path.Combine(repository.Root, "build-" + name);
        Directory.CreateDirectory(Path.Combine(build, "DEBIAN"));
        Directory.CreateDirectory(Path.Combine(build, "usr/share", name));
        await File.WriteAllTextAsync(Path.Combine(build, "DEBIAN/control"),
            $"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: gateway test package\n");
        await File.WriteAllBytesAsync(Path.Combine(build, "usr/share", name, "data"), RandomNumberGenerator.GetBytes(payload));
        var relative = $"pool/main/g/{name}/{name}_1.0_all.deb";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(repository.Folder, relative))!);
        var result = await CommandLine.RunAsync("dpkg-deb", ["--build", "-Zgzip", build, Path.Combine(repository.Folder, relative)]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return relative;
    }

    public static async Task WriteIndexesAsync(TestRepository repository)
    {
        var scan = await RunInAsync(repository.Folder, "dpkg-scanpackages", "--multiversion", "pool", "/dev/null");
        const string packages = "dists/stable/main/binary-amd64/Packages";
        repository.AddBytes(packages, System.Text.Encoding.UTF8.GetBytes(scan));
        var bytes = repository.Read(packages);
        var release = $"""
            Suite: stable
            Codename: stable
            Components: main
            Architectures: amd64 all
            Date: {DateTime.UtcNow.ToString("R", CultureInfo.InvariantCulture)}
            SHA256:
             {Convert.ToHexStringLower(SHA256.HashData(bytes))} {bytes.Length} main/binary-amd64/Packages

            """;
        repository.AddBytes("dists/stable/Release", System.Text.Encoding.UTF8.GetBytes(release));
    }

    private static async Task<string> RunInAsync(string folder, string file, params string[] arguments)
    {
        var result = await CommandLine.RunAsync("sh", ["-c", $"cd '{folder}' && exec {file} {string.Join(' ', arguments)}"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }
}
