namespace Gateway.Demo;

/// <summary>
/// Writes a small sample repository shaped like the paper's trace: most files are small (81% under
/// 256 KB) while a few large files carry most of the bytes; some packages appear under two names with
/// identical bytes; and apt-style metadata that must come from the origin.
/// </summary>
public static class SampleRepository
{
    public const int SmallFiles = 240;
    public const int MediumFiles = 40;
    public const int LargeFiles = 6;
    public const int Duplicates = 12;

    /// <summary>Creates the repository under <paramref name="folder"/> (deterministic for a seed); returns the file paths written.</summary>
    public static IReadOnlyList<string> Generate(string folder, int seed = 20261126)
    {
        var random = new Random(seed);
        var written = new List<string>();
        void Write(string relative, int size)
        {
            var bytes = new byte[size];
            random.NextBytes(bytes);
            WriteBytes(folder, relative, bytes);
            written.Add(relative);
        }

        for (var i = 0; i < SmallFiles; i++)
        {
            // Log-uniform between 1 KB and 256 KB.
            Write(PackagePath(i, "main"), (int)Math.Exp(Math.Log(1024) + random.NextDouble() * (Math.Log(256 * 1024) - Math.Log(1024))));
        }

        for (var i = 0; i < MediumFiles; i++)
        {
            Write(PackagePath(SmallFiles + i, "main"), random.Next(256 * 1024, 2 * 1024 * 1024));
        }

        for (var i = 0; i < LargeFiles; i++)
        {
            Write($"iso/release-{i + 1}.iso", random.Next(6 * 1024 * 1024, 12 * 1024 * 1024));
        }

        // The same bytes under another name, as the paper found for 17% of large files.
        for (var i = 0; i < Duplicates; i++)
        {
            var source = written[i * 20 % SmallFiles];
            var copy = source.Replace("/main/", "/contrib/", StringComparison.Ordinal);
            WriteBytes(folder, copy, File.ReadAllBytes(Path.Combine(folder, source)));
            written.Add(copy);
        }

        var packages = string.Join("\n\n", written.Where(p => p.EndsWith(".deb", StringComparison.Ordinal)).Select(p => $"Filename: {p}"));
        WriteBytes(folder, "dists/stable/main/binary-amd64/Packages", System.Text.Encoding.UTF8.GetBytes(packages + "\n"));
        WriteBytes(folder, "dists/stable/Release", System.Text.Encoding.UTF8.GetBytes("Origin: Demo\nSuite: stable\nComponents: main contrib\n"));
        written.Add("dists/stable/main/binary-amd64/Packages");
        written.Add("dists/stable/Release");
        return written;
    }

    private static string PackagePath(int index, string component)
    {
        var name = $"pkg{index:D3}";
        return $"pool/{component}/{name[3]}/{name}/{name}_1.{index % 7}-1_amd64.deb";
    }

    private static void WriteBytes(string folder, string relative, byte[] bytes)
    {
        var path = Path.Combine(folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }
}
