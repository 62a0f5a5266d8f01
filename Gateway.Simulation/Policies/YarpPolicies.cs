using System.Reflection;
using Yarp.ReverseProxy.LoadBalancing;

namespace Gateway.Simulation.Policies;

/// <summary>
/// YARP's own PowerOfTwoChoices class. It is internal to YARP and draws from an internal IRandomFactory,
/// so it is built by reflection with a factory that hands out the run's seeded Random: the real
/// policy code, made repeatable.
/// </summary>
internal static class YarpPolicies
{
    private const string PolicyType = "Yarp.ReverseProxy.LoadBalancing.PowerOfTwoChoicesLoadBalancingPolicy";
    private const string FactoryType = "Yarp.ReverseProxy.Utilities.IRandomFactory";

    public static ILoadBalancingPolicy PowerOfTwoChoices(Random random)
    {
        var assembly = typeof(ILoadBalancingPolicy).Assembly;
        var policyType = assembly.GetType(PolicyType, throwOnError: true)!;
        var factoryType = assembly.GetType(FactoryType, throwOnError: true)!;
        var factory = DispatchProxy.Create(factoryType, typeof(RandomFactoryProxy));
        ((RandomFactoryProxy)factory).Random = random;
        return (ILoadBalancingPolicy)Activator.CreateInstance(policyType, factory)!;
    }
}

/// <summary>Implements YARP's IRandomFactory (its one method, CreateRandomInstance) with a fixed Random.</summary>
#pragma warning disable CA1852 // DispatchProxy derives from it at run time.
internal class RandomFactoryProxy : DispatchProxy
#pragma warning restore CA1852
{
    public Random Random { get; set; } = new(0);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        targetMethod?.Name == "CreateRandomInstance" ? Random : throw new NotSupportedException(targetMethod?.Name);
}
