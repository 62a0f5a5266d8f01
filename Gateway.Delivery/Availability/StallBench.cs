using System.Collections.Frozen;
using Gateway.Delivery.Metrics;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Availability;

/// <summary>What to do about volunteers that stall customers' transfers (section <c>Stalls</c>).</summary>
public sealed class StallOptions
{
    public const string Section = "Stalls";

    /// <summary>Stall reports within <see cref="Window"/> that take a volunteer out of selection; 0 never benches (reports still count as load).</summary>
    public int Threshold { get; set; } = 2;

    /// <summary>How long a stall report counts: toward <see cref="Threshold"/>, and as one transfer of load for the selection policy.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The first time out of selection; each bench that follows within <see cref="MaxBenchFor"/> of the last one's end doubles it.</summary>
    public TimeSpan BenchFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest time out of selection, and the quiet time after which the next bench starts again at <see cref="BenchFor"/>.</summary>
    public TimeSpan MaxBenchFor { get; set; } = TimeSpan.FromMinutes(15);
}

internal sealed class StallOptionsValidator : IValidateOptions<StallOptions>
{
    public ValidateOptionsResult Validate(string? name, StallOptions options)
    {
        var errors = new List<string>();
        if (options.Threshold is < 0 or > 1000)
        {
            errors.Add($"Stalls:Threshold {options.Threshold} must be between 0 (never bench) and 1000.");
        }

        if (options.Window < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Stalls:Window {options.Window} must be at least 00:00:01.");
        }

        if (options.BenchFor < TimeSpan.FromSeconds(1) || options.MaxBenchFor < options.BenchFor)
        {
            errors.Add($"Stalls:BenchFor {options.BenchFor} must be at least 00:00:01 and at most Stalls:MaxBenchFor {options.MaxBenchFor}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// Volunteers that leave customers waiting: a verifying client proxy reports a transfer that went silent (signed,
/// like a tamper report). A stall is no proof of dishonesty, so unlike quarantine this never needs an operator:
/// each recent report counts as one more transfer of load, and <see cref="StallOptions.Threshold"/> reports within
/// <see cref="StallOptions.Window"/> bench the volunteer for a period that doubles while it keeps stalling, up to
/// <see cref="StallOptions.MaxBenchFor"/>. After the period it is chosen again; a volunteer that recovered stays.
/// </summary>
/// <remarks>
/// Read on every request, lock-free: an immutable snapshot swapped on the rare report, and nothing at all while no
/// volunteer has stalled. Reports are this gateway's own (each gateway hears from its own customers' proxies).
/// </remarks>
public sealed partial class StallBench
{
    private readonly Lock _gate = new();
    private readonly IOptionsMonitor<StallOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StallBench> _logger;
    private volatile FrozenDictionary<string, StallRecord> _current = FrozenDictionary<string, StallRecord>.Empty;

    public StallBench(IOptionsMonitor<StallOptions> options, TimeProvider time, System.Diagnostics.Metrics.IMeterFactory meters, ILogger<StallBench> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _options = options;
        _time = time;
        _logger = logger;
        var meter = meters.Create(new System.Diagnostics.Metrics.MeterOptions(GatewayMetrics.MeterName));
        Reports = meter.CreateCounter<long>("gateway.volunteer.stall_reports", "{report}", "Transfers a verifying client proxy reported as stalled, by volunteer");
        meter.CreateObservableGauge("gateway.volunteers.benched", () => BenchedCount, "{volunteer}", "Volunteers out of selection for stalling customers' transfers");
    }

    private System.Diagnostics.Metrics.Counter<long> Reports { get; }

    /// <summary>True while the volunteer is benched (the hot path: one lookup, none while no volunteer stalled).</summary>
    public bool IsBenched(string volunteer)
    {
        var current = _current;
        return current.Count != 0 && current.TryGetValue(volunteer, out var record) && record.BenchedUntil > _time.GetUtcNow();
    }

    /// <summary>The stall reports within <see cref="StallOptions.Window"/>, as load: each is a customer that waited on this volunteer.</summary>
    public int RecentStalls(string volunteer)
    {
        var current = _current;
        return current.Count == 0 || !current.TryGetValue(volunteer, out var record) ? 0 : record.CountSince(_time.GetUtcNow() - _options.CurrentValue.Window);
    }

    /// <summary>When the volunteer's bench ends, or null when it is not benched (for the status pages).</summary>
    public DateTimeOffset? BenchedUntil(string volunteer) =>
        _current.TryGetValue(volunteer, out var record) && record.BenchedUntil > _time.GetUtcNow() ? record.BenchedUntil : null;

    private int BenchedCount
    {
        get
        {
            var now = _time.GetUtcNow();
            return _current.Values.Count(r => r.BenchedUntil > now);
        }
    }

    /// <summary>Takes in one stall report; benches the volunteer when it reaches the threshold. True when this report benched it.</summary>
    public bool Record(string volunteer, string detail)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteer);
        var settings = _options.CurrentValue;
        var now = _time.GetUtcNow();
        Reports.Add(1, new KeyValuePair<string, object?>("volunteer", volunteer));
        StallRecord previous, next;
        lock (_gate)
        {
            previous = _current.GetValueOrDefault(volunteer) ?? StallRecord.None;
            next = previous.With(now, settings);
            var all = new Dictionary<string, StallRecord>(_current, StringComparer.Ordinal) { [volunteer] = next };
            _current = all.ToFrozenDictionary(StringComparer.Ordinal);
        }

        var benched = next.BenchedAt != previous.BenchedAt;
        if (benched)
        {
            LogBenched(_logger, volunteer, next.CountSince(now - settings.Window), settings.Window, next.BenchLength, detail);
        }
        else
        {
            LogReported(_logger, volunteer, detail);
        }

        return benched;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volunteer {Volunteer} benched: {Count} stalled transfers within {Window}; out of selection for {Period} (last: {Detail})")]
    private static partial void LogBenched(ILogger logger, string volunteer, int count, TimeSpan window, TimeSpan period, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Volunteer {Volunteer} stalled a transfer: {Detail}")]
    private static partial void LogReported(ILogger logger, string volunteer, string detail);

    /// <summary>One volunteer's recent reports (oldest first, at most a threshold's worth kept) and its bench.</summary>
    private sealed record StallRecord(DateTimeOffset[] Reports, DateTimeOffset BenchedAt, DateTimeOffset BenchedUntil, TimeSpan BenchLength)
    {
        public static readonly StallRecord None = new([], DateTimeOffset.MinValue, DateTimeOffset.MinValue, TimeSpan.Zero);

        public int CountSince(DateTimeOffset since)
        {
            var count = 0;
            foreach (var at in Reports)
            {
                count += at > since ? 1 : 0;
            }

            return count;
        }

        public StallRecord With(DateTimeOffset now, StallOptions settings)
        {
            // Keep what the window and the threshold can still use: a report stream costs bounded memory.
            var keep = Math.Max(settings.Threshold, 1) * 4;
            var reports = Reports.Where(at => at > now - settings.Window).Append(now).TakeLast(keep).ToArray();
            if (settings.Threshold == 0 || BenchedUntil > now || reports.Length < settings.Threshold)
            {
                return this with { Reports = reports };
            }

            // Benched again soon after the last bench ended: twice as long (it is still stalling); after a quiet spell, from the start.
            var length = BenchLength > TimeSpan.Zero && now - BenchedUntil < settings.MaxBenchFor
                ? TimeSpan.FromTicks(Math.Min(BenchLength.Ticks * 2, settings.MaxBenchFor.Ticks))
                : settings.BenchFor;

            // The reports that benched it are spent: after the bench, it takes a threshold's worth of new ones again.
            return new StallRecord([], now, now + length, length);
        }
    }
}
