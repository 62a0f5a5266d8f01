using Gateway.Simulation.Real;

namespace Gateway.Tests.Simulation;

/// <summary>The real experiment's command line.</summary>
public sealed class RealOptionsTests
{
    [Fact]
    public void The_sync_upload_share_is_off_by_default_and_taken_from_0_to_below_1()
    {
        Assert.Equal(0, RealOptions.Parse([])!.SyncUploadShare);
        Assert.Equal(0.5, RealOptions.Parse(["--sync-upload-share", "0.5"])!.SyncUploadShare);
        Assert.Contains("--sync-upload-share", Assert.Throws<ArgumentException>(() => RealOptions.Parse(["--sync-upload-share", "1"])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => RealOptions.Parse(["--sync-upload-share", "-0.1"]));
    }
}
