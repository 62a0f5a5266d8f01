using Gateway.Delivery;

namespace Gateway.Tests.RequestPaths;

/// <summary>How <c>Gateway:PathBase</c> turns a request path into a repository path, and which values it refuses.</summary>
public sealed class PathBaseTests
{
    [Theory]
    [InlineData("", "pool/a.deb", "pool/a.deb")]
    [InlineData("/debian", "debian/pool/a.deb", "pool/a.deb")]
    [InlineData("/debian/", "debian/pool/a.deb", "pool/a.deb")]
    [InlineData("/debian", "debian", "")]
    [InlineData("/debian", "debian-security/pool/a.deb", null)]
    [InlineData("/debian", "pool/a.deb", null)]
    [InlineData("/debian", "debia", null)]
    [InlineData("/mirror/debian", "mirror/debian/dists/stable/Release", "dists/stable/Release")]
    [InlineData("/mirror/debian", "mirror/pool/a.deb", null)]
    public void A_request_path_below_the_path_base_is_the_repository_path_and_others_have_none(string pathBase, string path, string? expected) =>
        Assert.Equal(expected, new GatewayOptions { PathBase = pathBase }.RepositoryPathOf(path));

    [Theory]
    [InlineData("debian")]
    [InlineData("/debian/../etc")]
    [InlineData("/a//b")]
    [InlineData("/debian?x")]
    [InlineData("/deb%2Fian")]
    public void A_path_base_that_is_not_a_plain_path_is_refused_with_its_name(string pathBase)
    {
        var result = new GatewayOptionsValidator().Validate(null, new GatewayOptions { PathBase = pathBase });
        Assert.True(result.Failed);
        Assert.Contains("Gateway:PathBase", result.FailureMessage, StringComparison.Ordinal);
    }
}
