using Gateway.Delivery;
using Gateway.Delivery.Holders;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

public sealed class OriginOnlyPathsTests : IDisposable
{
    private readonly OriginOnlyPaths _paths = new(new FixedOptionsMonitor<GatewayOptions>(new GatewayOptions()));

    public void Dispose() => _paths.Dispose();

    [Theory]
    [InlineData("dists/bookworm/InRelease")]
    [InlineData("dists/bookworm/Release")]
    [InlineData("dists/bookworm/Release.gpg")]
    [InlineData("dists/bookworm/main/binary-amd64/Packages.xz")]
    [InlineData("dists/bookworm/main/source/Sources.gz")]
    [InlineData("dists/bookworm/main/binary-amd64/by-hash/SHA256/0123abcd")]
    [InlineData("fedora/40/x86_64/repodata/repomd.xml")]
    [InlineData("fedora/40/x86_64/repodata/abc-primary.xml.zst")]
    [InlineData("iso/image.iso.asc")]
    [InlineData("iso/SHA256SUMS.sig")]
    public void Repository_metadata_is_origin_only(string path) => Assert.True(_paths.Matches(path));

    [Theory]
    [InlineData("pool/main/a/apt/apt_2.6.1_amd64.deb")]
    [InlineData("fedora/40/x86_64/Packages/b/bash-5.2.rpm")]
    [InlineData("iso/debian-12.iso")]
    [InlineData("pool/main/r/release-notes/release-notes_1.0_all.deb")]
    public void Packages_and_images_are_not(string path) => Assert.False(_paths.Matches(path));

    [Theory]
    [InlineData("a*", "abc", true)]
    [InlineData("*.sig", "x.sig", true)]
    [InlineData("*.sig", "x.sigs", false)]
    [InlineData("P*s*", "Packages.xz", true)]
    [InlineData("Release", "Release.gpg", false)]
    public void Wildcards_match_whole_names(string pattern, string name, bool expected) =>
        Assert.Equal(expected, OriginOnlyPaths.WildcardMatches(pattern, name));
}
