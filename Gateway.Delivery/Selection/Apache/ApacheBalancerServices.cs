using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.LoadBalancing;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>Registers Apache's lbmethods (byrequests, bytraffic, bybusyness, heartbeat) and their shared member state.</summary>
public static class ApacheBalancerServices
{
    public static void AddApacheBalancer(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BalancerOptions>().Bind(configuration.GetSection(BalancerOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BalancerOptions>, BalancerOptionsValidator>();
        services.AddSingleton<BalancerMembers>();
        services.AddSingleton<HeartbeatBoard>();
        services.AddSingleton<ILoadBalancingPolicy, ByRequestsPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, ByTrafficPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, ByBusynessPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, HeartbeatPolicy>();
    }
}
