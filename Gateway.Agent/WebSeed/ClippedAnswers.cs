using System.Collections.Concurrent;

namespace Gateway.Agent.WebSeed;

/// <summary>
/// The requests whose web-seed answer the relay cut short on purpose (a range clipped at the agent's share). Kestrel
/// reports every such answer as an application error ("Response Content-Length mismatch: too few bytes written");
/// <see cref="ClippedAnswerLogFilter"/> drops exactly those reports and no other.
/// </summary>
public sealed class ClippedAnswers
{
    private readonly ConcurrentDictionary<string, byte> _requests = new(StringComparer.Ordinal);

    /// <summary>Requests marked and not yet forgotten (a leak shows here).</summary>
    public int Count => _requests.Count;

    /// <summary>The relay is about to end this request's answer short.</summary>
    public void Mark(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.TraceIdentifier;
        _requests[id] = 0;

        // Kestrel reports the short body before it runs the completion callbacks; every logger provider checks
        // the mark, so it is forgotten only here.
        context.Response.OnCompleted(() =>
        {
            _requests.TryRemove(id, out _);
            return Task.CompletedTask;
        });
    }

    /// <summary>Whether the request <paramref name="traceIdentifier"/> is marked.</summary>
    public bool IsMarked(string traceIdentifier) => _requests.ContainsKey(traceIdentifier);
}
