namespace Gateway.Tools.ApacheImport;

/// <summary>What <c>import-apache</c> was asked: the httpd.conf, where to write, which balancer, the ServerRoot for relative includes.</summary>
public sealed record ImportApacheRequest(string Conf, string? OutFile = null, string? Balancer = null, string? ServerRoot = null);
