using Gateway.Simulation.Output;

namespace Gateway.Tests.Simulation;

/// <summary>The real run's records as Fig. 17: completed requests per policy, the byte-counter policy by its name.</summary>
public sealed class CcdfCommandTests
{
    [Fact]
    public void Reads_completed_requests_per_policy_and_names_old_oracle_records_the_byte_counter_policy()
    {
        var path = Path.Combine(Path.GetTempPath(), $"records-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllLines(path,
            [
                "policy,request,at_s,path,bytes,chosen,seconds,status,rep_v0",
                "byrequests,0,0.1,/a,10,v0,2.5,200,",
                "byrequests,1,0.2,/b,10,v1,9.0,504,",
                "oracle,0,0.1,/a,10,v0,1.5,200,1.00",
                "feedback,0,0.1,/a,10,v0,0.5,200,",
            ]);

            var series = CcdfCommand.Read(path);

            Assert.Equal(["byrequests", "byte-counter", "feedback"], series.Select(s => s.Label));
            Assert.Equal([[2.5], [1.5], [0.5]], series.Select(s => s.Seconds));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Records_without_a_seconds_column_are_refused_by_name()
    {
        var path = Path.Combine(Path.GetTempPath(), $"records-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllLines(path, ["policy,status", "feedback,200"]);

            var error = Assert.Throws<InvalidDataException>(() => CcdfCommand.Read(path));

            Assert.Contains("'seconds'", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
