using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StackExchange.Redis;

namespace Gateway.State.Resilience;

/// <summary>
/// The one resilience pipeline every call to the Redis store goes through, built once: a timeout per call,
/// and a circuit breaker so that while Redis is down callers fail fast (and writers buffer) instead of each
/// waiting out a timeout. There are no retries here: writers buffer and retry on their own schedule, and
/// readers have the periodic reconcile.
/// </summary>
public sealed class StoreResilience
{
    /// <summary>The pipeline's name in Polly's telemetry.</summary>
    public const string Name = "swarm-store";

    public StoreResilience(IOptions<StoreOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        Pipeline = new ResiliencePipelineBuilder { Name = Name, TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsStoreFailure),
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(5),
                // Polly allows no shorter break than half a second.
                BreakDuration = settings.RetryInterval < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : settings.RetryInterval,
            })
            .AddTimeout(settings.OperationTimeout)
            .Build();
    }

    public ResiliencePipeline Pipeline { get; }

    /// <summary>Whether the exception says the store is unreachable, slow or restarting (as opposed to a bug).</summary>
    public static bool IsStoreFailure(Exception exception) => exception is
        RedisConnectionException or RedisTimeoutException or TimeoutRejectedException or BrokenCircuitException or ObjectDisposedException
        || (exception is RedisServerException server && IsTransientServerError(server.Message));

    /// <summary>
    /// Why a store call failed, in a few words for a log line: the client's own messages carry a full diagnostic dump
    /// (endpoints, queue lengths, versions) that is no use on every retry.
    /// </summary>
    public static string ShortReason(Exception exception) => exception switch
    {
        RedisConnectionException connection => $"no connection: {connection.FailureType}",
        RedisTimeoutException or TimeoutRejectedException => "timed out",
        BrokenCircuitException => "circuit open after repeated failures",
        ObjectDisposedException => "shutting down",
        OperationCanceledException => "gave up waiting",
        RedisServerException server => FirstWords(server.Message),
        _ => exception.GetType().Name,
    };

    private static string FirstWords(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        var line = end < 0 ? message : message[..end];
        return line.Length <= 80 ? line : line[..80];
    }

    // LOADING (restarting with data), MASTERDOWN/READONLY (failover), TRYAGAIN/CLUSTERDOWN/MOVED/ASK (cluster resharding).
    private static bool IsTransientServerError(string message) =>
        message.StartsWith("LOADING", StringComparison.Ordinal) || message.StartsWith("MASTERDOWN", StringComparison.Ordinal) ||
        message.StartsWith("READONLY", StringComparison.Ordinal) || message.StartsWith("TRYAGAIN", StringComparison.Ordinal) ||
        message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal) || message.StartsWith("MOVED", StringComparison.Ordinal) ||
        message.StartsWith("ASK", StringComparison.Ordinal);
}
