namespace Gateway.Delivery;

/// <summary>Names of the YARP clusters, routes and metadata the gateway builds.</summary>
public static class GatewayClusters
{
    public const string Volunteers = "volunteers";
    public const string Origin = "origin";
    public const string OriginDestinationId = "origin";
    public const string ModeMetadata = "Gateway.Mode";
}
