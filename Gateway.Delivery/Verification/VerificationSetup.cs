using Microsoft.Extensions.Options;
using Gateway.Core.Content;

namespace Gateway.Delivery.Verification;

/// <summary>Registers and maps the verification part (one call each from <c>GatewayHost</c>).</summary>
public static class VerificationSetup
{
    public static void AddVerification(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<VerifyOptions>().Bind(configuration.GetSection(VerifyOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<VerifyOptions>, VerifyOptionsValidator>();
        services.AddSingleton<QuarantineList>();

        // https volunteers: the same certificate trust for YARP's clients (registered before AddReverseProxy, whose
        // TryAdd then keeps it) and the verified proxy's.
        services.AddSingleton<Gateway.Delivery.Proxy.VolunteerCertificateTrust>();
        services.AddSingleton<Yarp.ReverseProxy.Forwarder.IForwarderHttpClientFactory, Gateway.Delivery.Proxy.VolunteerHttpClientFactory>();
        services.AddSingleton<VerifiedProxy>();
        services.AddSingleton<Gateway.Delivery.Mirrors.HealthyHolders>();
        services.AddSingleton<Gateway.Delivery.Mirrors.MirrorLinks>();

        // Several gateways on one Redis store ban a tamperer together (the store's RedisConnection is registered by AddSwarmStore).
        if (configuration.GetValue<Gateway.State.StoreKind>("Store:Kind") == Gateway.State.StoreKind.Redis)
        {
            services.AddSingleton<SharedQuarantine>();
            services.AddHostedService(sp => sp.GetRequiredService<SharedQuarantine>());
        }
    }

    /// <summary>Maps the report and quarantine endpoints (before the proxy's catch-all route).</summary>
    public static void MapVerification(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<Gateway.Delivery.Mirrors.MirrorInfoMiddleware>();
        QuarantineEndpoints.Map(app);
    }

    /// <summary>Reads the options once so a wrong setting stops the start with its own message.</summary>
    public static void ValidateOptions(IServiceProvider services) =>
        _ = services.GetRequiredService<IOptions<VerifyOptions>>().Value;
}
