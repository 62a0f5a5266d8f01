using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Hosting;

/// <summary>
/// Builds options as the framework does, but once a section was valid, an edit that fails validation does not
/// take effect: the previous values stay in force and the refusal is logged with the validator's message. Without
/// it, a typo in appsettings.json on a running gateway would make every <c>IOptionsMonitor.CurrentValue</c> read
/// throw (requests and announces failing) until the file is fixed. At start there is no previous value, so a
/// wrong setting still stops the start with its message.
/// </summary>
/// <remarks>
/// The logger is resolved only when an edit is refused: logging's own options are built by this factory, so
/// taking a logger in the constructor would be a dependency cycle.
/// </remarks>
public sealed partial class LastValidOptionsFactory<TOptions>(OptionsFactory<TOptions> inner, ConfigurationReloadStatus status, IServiceProvider services)
    : IOptionsFactory<TOptions>
    where TOptions : class
{
    private readonly ConcurrentDictionary<string, TOptions> _lastValid = new(StringComparer.Ordinal);

    public TOptions Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            var created = inner.Create(name);
            _lastValid[name] = created;
            status.Accepted(typeof(TOptions), name);
            return created;
        }
        catch (OptionsValidationException error) when (_lastValid.TryGetValue(name, out var previous))
        {
            status.Rejected(typeof(TOptions), name);
            LogEditRefused(services.GetRequiredService<ILogger<LastValidOptionsFactory<TOptions>>>(), typeof(TOptions).Name, string.Join(" ", error.Failures));
            return previous;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration edit refused, the previous {Options} stay in force: {Failures}")]
    private static partial void LogEditRefused(ILogger logger, string options, string failures);
}

/// <summary>Which options sections are refusing the current configuration (the <c>gateway.config.refused</c> gauge).</summary>
public sealed class ConfigurationReloadStatus
{
    private readonly ConcurrentDictionary<(Type, string), byte> _refused = new();

    /// <summary>Options sections whose current configuration was refused (their previous values are in force).</summary>
    public int Refused => _refused.Count;

    internal void Accepted(Type options, string name) => _refused.TryRemove((options, name), out _);

    internal void Rejected(Type options, string name) => _refused[(options, name)] = 0;
}

/// <summary>Registration of <see cref="LastValidOptionsFactory{TOptions}"/> for every options type of a host.</summary>
public static class LastValidOptionsRegistration
{
    public static IServiceCollection AddLastValidOptions(this IServiceCollection services)
    {
        services.AddOptions();
        services.TryAddSingleton<ConfigurationReloadStatus>();
        services.TryAdd(ServiceDescriptor.Transient(typeof(OptionsFactory<>), typeof(OptionsFactory<>)));
        services.Replace(ServiceDescriptor.Transient(typeof(IOptionsFactory<>), typeof(LastValidOptionsFactory<>)));
        return services;
    }
}
