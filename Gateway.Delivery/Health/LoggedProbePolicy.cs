using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Health;

/// <summary>
/// The volunteers' active health policy: YARP's consecutive-failures policy decides, and this one logs each
/// volunteer's change of state once, with the probe's error in one line. YARP's own prober logs every failed
/// probe with a stack trace; the shipped log levels silence it (<c>Yarp.ReverseProxy.Health</c> at Error).
/// </summary>
public sealed partial class LoggedProbePolicy(IServiceProvider services, ILogger<LoggedProbePolicy> logger) : IActiveHealthCheckPolicy
{
    public const string PolicyName = "LoggedConsecutiveFailures";

    /// <summary>The name of YARP's built-in policy that decides (its constant is internal).</summary>
    private const string DecidingPolicyName = "ConsecutiveFailures";

    private IActiveHealthCheckPolicy? _decides;

    public string Name => PolicyName;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(probingResults);
        var before = new DestinationHealth[probingResults.Count];
        for (var i = 0; i < probingResults.Count; i++)
        {
            before[i] = probingResults[i].Destination.Health.Active;
        }

        // YARP's health updater sets the new states before this call returns.
        Decides.ProbingCompleted(cluster, probingResults);
        for (var i = 0; i < probingResults.Count; i++)
        {
            var result = probingResults[i];
            var now = result.Destination.Health.Active;
            if (now == before[i])
            {
                continue;
            }

            if (now == DestinationHealth.Unhealthy)
            {
                LogDown(logger, result.Destination.DestinationId, Reason(result, cluster.Model.Config.HealthCheck?.Active?.Timeout));
            }
            else if (now == DestinationHealth.Healthy)
            {
                LogUp(logger, result.Destination.DestinationId, before[i] == DestinationHealth.Unhealthy ? "up again" : "up");
            }
        }
    }

    /// <summary>YARP's consecutive-failures policy, found by name (resolved late: this policy is one of the same set).</summary>
    private IActiveHealthCheckPolicy Decides => _decides ??= services.GetServices<IActiveHealthCheckPolicy>()
        .First(p => p.Name == DecidingPolicyName);

    /// <summary>The failure in one line: a refused, reset or timed-out probe is expected and needs no stack trace.</summary>
    private static string Reason(DestinationProbingResult result, TimeSpan? timeout) => result switch
    {
        { Exception: OperationCanceledException } => $"no answer within {timeout?.ToString() ?? "the probe timeout"}",
        { Exception: { } ex } => ex.Message,
        { Response: { } response } => $"HTTP {(int)response.StatusCode}",
        _ => "no answer",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Volunteer {Volunteer} is {State}: its health probe succeeded")]
    private static partial void LogUp(ILogger logger, string volunteer, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volunteer {Volunteer} is down: its health probe failed ({Reason}); no requests go to it until a probe succeeds")]
    private static partial void LogDown(ILogger logger, string volunteer, string reason);
}
