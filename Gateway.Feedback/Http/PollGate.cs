namespace Gateway.Feedback.Http;

/// <summary>
/// Decides whether a UDP thread polls its socket for a while before it sleeps in the kernel. Waking a sleeping thread
/// costs more than an announce (the scheduler may also move it next to the client that woke it), so under a steady
/// stream polling wins; with sparse traffic it would only burn a core. The gate polls while the average gap between
/// batches is well under the poll time, so polling mostly ends with data and idle trackers do not spin.
/// </summary>
internal sealed class PollGate
{
    private readonly long _pollTicks;
    private long _averageGap;

    /// <param name="pollTicks">Longest poll, in <see cref="System.Diagnostics.Stopwatch"/> ticks; zero: never poll.</param>
    public PollGate(long pollTicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pollTicks);
        _pollTicks = pollTicks;

        // Start as if traffic were sparse: a tracker polls only once it has seen a stream.
        _averageGap = pollTicks;
    }

    /// <summary>Longest poll in ticks.</summary>
    public long PollTicks => _pollTicks;

    /// <summary>True when the next wait should poll first.</summary>
    public bool ShouldPoll => _pollTicks > 0 && _averageGap < _pollTicks / 4;

    /// <summary>Records how long the last wait for data took (poll and sleep together).</summary>
    public void Observe(long gapTicks)
    {
        // One long idle spell must not keep the gate shut for long once a stream starts again.
        var gap = Math.Clamp(gapTicks, 0, 4 * _pollTicks);
        _averageGap += (gap - _averageGap) / 8;
    }
}
