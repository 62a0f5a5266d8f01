using System.Text.Json;
using Gateway.Delivery.Selection.Apache;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.BalancerManager;

/// <summary>What balancer-manager edits are kept across restarts: the lbmethod and each member's edit.</summary>
public sealed record ManagerState(string? LbMethod, Dictionary<string, MemberEdit> Members);

/// <summary>
/// Keeps balancer-manager edits in a local JSON file (<see cref="BalancerManagerOptions.StateFile"/>): loads
/// them before the gateway serves and writes them (atomically, by rename) after each edit.
/// </summary>
public sealed partial class BalancerManagerStateFile(
    BalancerMembers members,
    LbMethodOverride lbMethod,
    IOptionsMonitor<BalancerManagerOptions> options,
    ILogger<BalancerManagerStateFile> logger) : IBalancerManagerState, IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly SemaphoreSlim _writing = new(1, 1);
    private Dictionary<string, MemberEdit> _edits = new(StringComparer.Ordinal);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        members.Edited += OnEdited;
        var path = options.CurrentValue.StateFile;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            return;
        }

        try
        {
            await using var stream = File.OpenRead(path);
            var state = await JsonSerializer.DeserializeAsync<ManagerState>(stream, Json, cancellationToken).ConfigureAwait(false);
            if (state is null)
            {
                return;
            }

            _edits = new Dictionary<string, MemberEdit>(state.Members ?? [], StringComparer.Ordinal);
            members.RestoreEdits(_edits);
            if (state.LbMethod is not null)
            {
                lbMethod.Set(state.LbMethod);
            }
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            // A damaged state file must not keep the gateway down: start from configuration and say so.
            LogStateUnreadable(logger, path, ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        members.Edited -= OnEdited;
        return Task.CompletedTask;
    }

    /// <summary>Writes the current edits and lbmethod now.</summary>
    public async Task<bool> SaveAsync(CancellationToken cancellationToken)
    {
        var path = options.CurrentValue.StateFile;
        if (string.IsNullOrEmpty(path))
        {
            return true;
        }

        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var temporary = full + ".tmp";
            await using (var stream = File.Create(temporary))
            {
                await JsonSerializer.SerializeAsync(stream, new ManagerState(lbMethod.Policy, _edits), Json, cancellationToken).ConfigureAwait(false);
            }

            File.Move(temporary, full, overwrite: true);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogStateNotSaved(logger, path, ex.Message);
            return false;
        }
        finally
        {
            _writing.Release();
        }
    }

    public void Dispose() => _writing.Dispose();

    private void OnEdited(IReadOnlyDictionary<string, MemberEdit> edits) =>
        _edits = new Dictionary<string, MemberEdit>(edits, StringComparer.Ordinal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "balancer-manager state file {Path} could not be read ({Reason}); starting from configuration")]
    private static partial void LogStateUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "balancer-manager edits could not be saved to {Path} ({Reason}); they last until restart")]
    private static partial void LogStateNotSaved(ILogger logger, string path, string reason);
}
