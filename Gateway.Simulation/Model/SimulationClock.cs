namespace Gateway.Simulation.Model;

/// <summary>
/// The simulated time the gateway's classes read: the event loop moves it, nothing else does.
/// Seconds since the start of the run, mapped onto a fixed date so the ledger's second buckets line up.
/// </summary>
internal sealed class SimulationClock : TimeProvider
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private DateTimeOffset _now = Epoch;

    public double Seconds { get; private set; }

    public void MoveTo(double seconds)
    {
        Seconds = seconds;
        _now = Epoch + TimeSpan.FromTicks((long)(seconds * TimeSpan.TicksPerSecond));
    }

    public override DateTimeOffset GetUtcNow() => _now;
}
