using Gateway.Feedback.Http;

namespace Gateway.Tests.Tracker;

/// <summary>A UDP thread polls before sleeping only while datagrams stream in.</summary>
public sealed class PollGateTests
{
    private const long Poll = 1_000_000;

    [Fact]
    public void A_new_gate_sleeps_at_once()
    {
        Assert.False(new PollGate(Poll).ShouldPoll);
    }

    [Fact]
    public void A_steady_stream_of_short_gaps_opens_it()
    {
        var gate = new PollGate(Poll);
        var waits = 0;
        while (!gate.ShouldPoll && waits < 100)
        {
            gate.Observe(Poll / 100);
            waits++;
        }

        // From an average of one poll time, gaps of a hundredth bring the average under a quarter in 11 waits.
        Assert.Equal(11, waits);
    }

    [Fact]
    public void A_few_idle_spells_close_it_again_and_one_very_long_one_counts_no_more_than_four_polls()
    {
        var gate = new PollGate(Poll);
        for (var i = 0; i < 50; i++)
        {
            gate.Observe(0);
        }

        Assert.True(gate.ShouldPoll);
        gate.Observe(long.MaxValue / 2);
        Assert.False(gate.ShouldPoll);

        // The idle spell counted as four polls: a stream reopens the gate within 25 waits, not never.
        var waits = 0;
        while (!gate.ShouldPoll)
        {
            gate.Observe(0);
            waits++;
        }

        Assert.InRange(waits, 1, 25);
    }

    [Fact]
    public void A_zero_poll_time_never_polls()
    {
        var gate = new PollGate(0);
        for (var i = 0; i < 50; i++)
        {
            gate.Observe(0);
        }

        Assert.False(gate.ShouldPoll);
    }
}
