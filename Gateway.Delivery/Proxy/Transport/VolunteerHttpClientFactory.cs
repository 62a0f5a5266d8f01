using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Delivery.Proxy.Transport;

/// <summary>YARP's client factory with the volunteers' certificate trust (<see cref="VolunteerCertificateTrust"/>) applied.</summary>
public sealed class VolunteerHttpClientFactory(VolunteerCertificateTrust trust, ILogger<ForwarderHttpClientFactory> logger)
    : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        trust.Apply(handler);
    }
}
