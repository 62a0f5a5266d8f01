namespace Gateway.Agent.WebSeed;

/// <summary>
/// Wraps the agent's logger providers so that Kestrel's application-error report (event 13) for a request in
/// <see cref="ClippedAnswers"/> is dropped. Standard logging filters see only category and level, and silencing
/// Kestrel's category would also hide real application errors; this drops one event for one marked request.
/// </summary>
public sealed class ClippedAnswerLogFilter(ILoggerProvider inner, ClippedAnswers clipped) : ILoggerProvider, ISupportExternalScope
{
    /// <summary>Kestrel's <c>ApplicationError</c> event id.</summary>
    public const int ApplicationErrorEventId = 13;

    private const string KestrelCategory = "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>Replaces every logger provider registered so far with one wrapped by this filter.</summary>
    public static void Wrap(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<ClippedAnswers>();
        var providers = services.Where(d => d.ServiceType == typeof(ILoggerProvider)).ToList();
        foreach (var descriptor in providers)
        {
            services.Remove(descriptor);
            services.AddSingleton<ILoggerProvider>(sp => new ClippedAnswerLogFilter(Create(descriptor, sp), sp.GetRequiredService<ClippedAnswers>()));
        }
    }

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName.StartsWith(KestrelCategory, StringComparison.Ordinal) ? new Filtered(logger, clipped) : logger;
    }

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => (inner as ISupportExternalScope)?.SetScopeProvider(scopeProvider);

    public void Dispose() => inner.Dispose();

    private static ILoggerProvider Create(ServiceDescriptor descriptor, IServiceProvider services) =>
        (ILoggerProvider)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));

    private sealed class Filtered(ILogger inner, ClippedAnswers clipped) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == ApplicationErrorEventId && exception is InvalidOperationException && IsMarked(state))
            {
                return;
            }

            inner.Log(logLevel, eventId, state, exception, formatter);
        }

        private bool IsMarked<TState>(TState state)
        {
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    if (key == "TraceIdentifier" && value is string id)
                    {
                        return clipped.IsMarked(id);
                    }
                }
            }

            return false;
        }
    }
}
