namespace Gateway.Simulation.Policies;

/// <summary>The policies compared; each but the oracle, the size oracle and the byte-counter policy is the gateway's own class.</summary>
internal enum PolicyKind
{
    /// <summary>Apache <c>byrequests</c> (<see cref="Gateway.Delivery.Selection.Apache.ByRequestsPolicy"/>).</summary>
    ByRequests,

    /// <summary>Apache <c>bybusyness</c> (<see cref="Gateway.Delivery.Selection.Apache.ByBusynessPolicy"/>).</summary>
    ByBusyness,

    /// <summary>YARP's PowerOfTwoChoices on the gateway's own in-flight counts.</summary>
    YarpPowerOfTwo,

    /// <summary><see cref="Gateway.Delivery.Selection.FeedbackPowerOfTwoPolicy"/> fed by announces, default <see cref="Gateway.Delivery.SelectionOptions"/>.</summary>
    Feedback,

    /// <summary>
    /// Join-the-shortest-queue on perfect instantaneous information: sees every volunteer's true flow count (customer
    /// and sync) at the moment of the pick, simulation only. A greedy bound on what load information can buy, not an
    /// optimum (it ignores sizes and future arrivals; <see cref="SizeOracle"/> uses sizes).
    /// </summary>
    Oracle,

    /// <summary>The gateway's feedback policy with <c>Selection:Candidates = 2</c> (the power of two choices).</summary>
    FeedbackBestOfTwo,

    /// <summary>The gateway's feedback policy with <c>Selection:Candidates = 4</c>.</summary>
    FeedbackBestOfFour,

    /// <summary>
    /// Sees every transfer's remaining bytes and picks the volunteer where this request would finish first if nothing
    /// else arrived (processor sharing worked out exactly): a bound for size-aware placement, simulation only.
    /// </summary>
    SizeOracle,

    /// <summary>The gateway's feedback policy with <c>Selection:Candidates = 8</c> (the default before the flash-crowd runs).</summary>
    FeedbackBestOfEight,

    /// <summary>
    /// The gateway's feedback policy with <c>Selection:DrainReportedTransfers = false</c>: a report's customer
    /// transfers count as reported until the next report (the default before the bytes left were reported).
    /// </summary>
    FeedbackCounted,

    /// <summary>
    /// The gateway's feedback policy with <c>Selection:TieBreakOnBytesLeft = false</c>: of equally loaded candidates
    /// the first drawn (the default before the bytes left broke ties).
    /// </summary>
    FeedbackUntied,

    /// <summary>
    /// The real experiment's comparison (<see cref="Gateway.Simulation.Real.ByteCounterPolicy"/>): the holder with the
    /// least load read from byte counters. The feedback policy beat it in several runs, so it is no bound; the simulator
    /// stands it in with <see cref="Oracle"/> when it replays a real run.
    /// </summary>
    ByteCounter,
}

internal static class PolicyKinds
{
    public static IReadOnlyList<PolicyKind> All { get; } = Enum.GetValues<PolicyKind>();

    /// <summary>The issue's comparison: the gateway's policies (feedback with its default candidates) and the oracle.</summary>
    public static IReadOnlyList<PolicyKind> Standard { get; } = [PolicyKind.ByRequests, PolicyKind.ByBusyness, PolicyKind.YarpPowerOfTwo, PolicyKind.Feedback, PolicyKind.Oracle];

    /// <summary>The real experiment's comparison: the gateway's policies and the byte-counter policy.</summary>
    public static IReadOnlyList<PolicyKind> Real { get; } = [PolicyKind.ByRequests, PolicyKind.ByBusyness, PolicyKind.YarpPowerOfTwo, PolicyKind.Feedback, PolicyKind.ByteCounter];

    public static string Label(this PolicyKind kind) => kind switch
    {
        PolicyKind.ByRequests => "byrequests",
        PolicyKind.ByBusyness => "bybusyness",
        PolicyKind.YarpPowerOfTwo => "yarp-p2c",
        PolicyKind.Feedback => "feedback",
        PolicyKind.Oracle => "oracle",
        PolicyKind.FeedbackBestOfTwo => "feedback-d2",
        PolicyKind.FeedbackBestOfFour => "feedback-d4",
        PolicyKind.SizeOracle => "size-oracle",
        PolicyKind.FeedbackBestOfEight => "feedback-d8",
        PolicyKind.FeedbackCounted => "feedback-counts",
        PolicyKind.FeedbackUntied => "feedback-no-tiebreak",
        PolicyKind.ByteCounter => "byte-counter",
        _ => kind.ToString(),
    };

    public static PolicyKind Parse(string text) =>
        All.FirstOrDefault(k => string.Equals(k.Label(), text, StringComparison.OrdinalIgnoreCase), (PolicyKind)(-1)) is var kind && kind >= 0
            ? kind
            : throw new ArgumentException($"unknown policy '{text}' (known: {string.Join(", ", All.Select(k => k.Label()))})");
}
