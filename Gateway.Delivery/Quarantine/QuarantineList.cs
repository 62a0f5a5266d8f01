using System.Collections.Frozen;
using System.Text.Json;
using Gateway.Delivery.Metrics;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Quarantine;

/// <summary>A volunteer taken out of selection for serving altered bytes.</summary>
/// <param name="Volunteer">The volunteer's id.</param>
/// <param name="Reason">What was wrong (e.g. "chunk 3 SHA-256 mismatch on pool/x.deb").</param>
/// <param name="Source">Who caught it: "gateway" or "report".</param>
/// <param name="Since">When it was quarantined.</param>
public sealed record QuarantineRecord(string Volunteer, string Reason, string Source, DateTimeOffset Since);

/// <summary>A quarantine change made here (not one read from the shared store): <see cref="Added"/> null means cleared.</summary>
public sealed class QuarantineChangedEventArgs(string volunteer, QuarantineRecord? added) : EventArgs
{
    public string Volunteer { get; } = volunteer;

    public QuarantineRecord? Added { get; } = added;
}

/// <summary>
/// Volunteers caught serving altered bytes. Selection skips them at once; they stay out until an operator
/// clears them (admin endpoint), across restarts when <c>Verify:QuarantineFile</c> is set. Read lock-free on
/// every request: a snapshot swapped on the rare change.
/// </summary>
public sealed partial class QuarantineList
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly ILogger<QuarantineList> _logger;
    private readonly string? _file;
    private volatile FrozenDictionary<string, QuarantineRecord> _current = FrozenDictionary<string, QuarantineRecord>.Empty;

    public QuarantineList(TimeProvider time, System.Diagnostics.Metrics.IMeterFactory meters, IOptions<VerifyOptions> options, ILogger<QuarantineList> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _logger = logger;
        _file = string.IsNullOrEmpty(options.Value.QuarantineFile) ? null : Path.GetFullPath(options.Value.QuarantineFile);
        if (_file is not null && File.Exists(_file))
        {
            // A damaged file must not stop the gateway, nor silently free the volunteers it held: it says so loudly.
            try
            {
                var records = JsonSerializer.Deserialize(File.ReadAllBytes(_file), VerificationJsonContext.Default.QuarantineRecordArray) ?? [];
                _current = records.ToFrozenDictionary(r => r.Volunteer, StringComparer.Ordinal);
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
            {
                LogFileFailed(_logger, _file, ex.Message);
            }
        }

        meters.Create(new System.Diagnostics.Metrics.MeterOptions(GatewayMetrics.MeterName)).CreateObservableGauge(
            "gateway.volunteers.quarantined", () => _current.Count, "{volunteer}", "Volunteers out of selection for serving altered bytes");
    }

    /// <summary>Raised after this gateway quarantines or clears a volunteer (<see cref="SharedQuarantine"/> passes it on to Redis).</summary>
    public event EventHandler<QuarantineChangedEventArgs>? Changed;

    /// <summary>Every quarantined volunteer (for the balancer-manager and the admin endpoint).</summary>
    public IReadOnlyCollection<QuarantineRecord> All => _current.Values;

    public int Count => _current.Count;

    /// <summary>True when the volunteer is quarantined (the hot path: one lookup, none at all while the list is empty).</summary>
    public bool Contains(string volunteer)
    {
        var current = _current;
        return current.Count != 0 && current.ContainsKey(volunteer);
    }

    public QuarantineRecord? Find(string volunteer) => _current.GetValueOrDefault(volunteer);

    /// <summary>Quarantines a volunteer; false when it already was (the first offense's record stays).</summary>
    public bool Add(string volunteer, string reason, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteer);
        QuarantineRecord record;
        lock (_gate)
        {
            if (_current.ContainsKey(volunteer))
            {
                return false;
            }

            record = new QuarantineRecord(volunteer, reason, source, _time.GetUtcNow());
            var next = new Dictionary<string, QuarantineRecord>(_current, StringComparer.Ordinal) { [volunteer] = record };
            _current = next.ToFrozenDictionary(StringComparer.Ordinal);
            Save();
        }

        LogQuarantined(_logger, volunteer, source, reason);
        Changed?.Invoke(this, new QuarantineChangedEventArgs(volunteer, record));
        return true;
    }

    /// <summary>Puts a volunteer back into selection (an operator checked it); false when it was not quarantined.</summary>
    public bool Clear(string volunteer)
    {
        lock (_gate)
        {
            if (!_current.ContainsKey(volunteer))
            {
                return false;
            }

            var next = new Dictionary<string, QuarantineRecord>(_current, StringComparer.Ordinal);
            next.Remove(volunteer);
            _current = next.ToFrozenDictionary(StringComparer.Ordinal);
            Save();
        }

        LogCleared(_logger, volunteer);
        Changed?.Invoke(this, new QuarantineChangedEventArgs(volunteer, null));
        return true;
    }

    /// <summary>Takes in what other gateways quarantined or cleared (read from the shared store); raises no <see cref="Changed"/>.</summary>
    internal void ApplyShared(IEnumerable<QuarantineRecord> added, IEnumerable<string> cleared)
    {
        lock (_gate)
        {
            var next = new Dictionary<string, QuarantineRecord>(_current, StringComparer.Ordinal);
            var changed = false;
            foreach (var record in added)
            {
                changed |= next.TryAdd(record.Volunteer, record);
            }

            foreach (var volunteer in cleared)
            {
                changed |= next.Remove(volunteer);
            }

            if (!changed)
            {
                return;
            }

            _current = next.ToFrozenDictionary(StringComparer.Ordinal);
            Save();
        }
    }

    /// <summary>Writes the list to the file (temporary file, then rename: a crash leaves the old or the new list).</summary>
    private void Save()
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            var temporary = _file + ".tmp";
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(_current.Values.ToArray(), VerificationJsonContext.Default.QuarantineRecordArray));
            File.Move(temporary, _file, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogFileFailed(_logger, _file, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Quarantine file {File}: {Reason}; the quarantine holds in memory only until this is fixed")]
    private static partial void LogFileFailed(ILogger logger, string file, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Volunteer {Volunteer} quarantined (caught by {Source}): {Reason}. It stays out of selection until an operator clears it.")]
    private static partial void LogQuarantined(ILogger logger, string volunteer, string source, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volunteer {Volunteer} cleared from quarantine by an operator")]
    private static partial void LogCleared(ILogger logger, string volunteer);
}
