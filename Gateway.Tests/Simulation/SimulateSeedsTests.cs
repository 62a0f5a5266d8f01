using System.IO.Compression;
using Gateway.Simulation.Output;

namespace Gateway.Tests.Simulation;

/// <summary><c>simulate --seeds … --raw</c>: a row per seed, load and policy, raw requests per seed and load, verdicts.</summary>
public sealed class SimulateSeedsTests
{
    [Fact]
    public void Seeds_write_every_runs_numbers_the_raw_requests_and_goals_with_verdicts()
    {
        var dir = Directory.CreateTempSubdirectory("simulate-seeds-").FullName;
        try
        {
            Check(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Check(string outDir)
    {
        var output = new StringWriter();

        var code = SimulateCommand.Run(
            ["--volunteers", "8", "--requests", "200", "--loads", "0.5", "--seeds", "1,2,3", "--policies", "byrequests,feedback,oracle", "--raw", "--out", outDir, "--name", "t"],
            output);

        Assert.Equal(0, code);
        var rows = File.ReadAllLines(Path.Combine(outDir, "t-seeds.csv"));
        Assert.Equal(1 + (3 * 3), rows.Length);
        Assert.Equal(["1", "2", "3"], rows.Skip(1).Select(r => r.Split(',')[0]).Distinct());
        foreach (var seed in new[] { 1, 2, 3 })
        {
            using var gzip = new GZipStream(File.OpenRead(Path.Combine(outDir, $"t-requests-s{seed}-50.csv.gz")), CompressionMode.Decompress);
            var lines = new StreamReader(gzip).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("time_s,bytes,hot,file,response_s_byrequests,served_by_byrequests,response_s_feedback,served_by_feedback,response_s_oracle,served_by_oracle", lines[0]);
            Assert.Equal(201, lines.Length);
        }

        Assert.Matches(@"\| 50 % \| feedback p99 ÷ oracle p99 ≤ 1\.2 \| [0-9.]+ \[[0-9.]+–[0-9.]+\] \| (met|missed|undecided) \|", output.ToString());
        Assert.True(File.Exists(Path.Combine(outDir, "t-ccdf-50.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "t-network-50.png")));
    }
}
