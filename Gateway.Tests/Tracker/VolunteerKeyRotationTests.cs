using Gateway.Delivery.Volunteers;
using Gateway.State.Views;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Tracker;

/// <summary>
/// A volunteer's key rotated without downtime: during the window its announces count with the old key and the new
/// one; removing <c>PreviousKey</c> from the config file retires the old key at the reload, with no restart.
/// </summary>
public sealed class VolunteerKeyRotationTests
{
    private const string OldKey = "v1-old-key-0123456789";

    [Fact]
    public async Task Both_keys_count_during_the_rotation_window_and_the_old_one_stops_at_the_reload_that_retires_it()
    {
        var folder = Directory.CreateTempSubdirectory("gw-key-rotation").FullName;
        var file = Path.Combine(folder, "gateway.json");
        await File.WriteAllTextAsync(file, $$"""{ "Volunteers": [ { "PreviousKey": "{{OldKey}}" } ] }""");
        try
        {
            // The new key (TrackerTestBed.V1Key) is on the command line; the old one is in the reloadable file.
            await using var bed = await TrackerTestBed.StartAsync(256 * 1024, "--config", file);
            var view = bed.Gateway.App.Services.GetRequiredService<HoldingsView>();

            Assert.Equal(string.Empty, FailureOf(await AnnounceAsync(bed, OldKey, "-XX0001-000000000001")));
            await Eventually.HoldsAsync(() => view.HoldersOf(bed.ContentId).Contains("v1"), TimeSpan.FromSeconds(15), () => "an announce with the old key did not make v1 a holder");
            Assert.Equal(string.Empty, FailureOf(await AnnounceAsync(bed, TrackerTestBed.V1Key, "-XX0001-000000000002")));

            // Retire the old key: the file no longer names it.
            await File.WriteAllTextAsync(file, """{ "Volunteers": [ { "Weight": 1 } ] }""");
            var options = bed.Gateway.App.Services.GetRequiredService<IOptionsMonitor<VolunteerSetOptions>>();
            await Eventually.HoldsAsync(() => options.CurrentValue.Members[0].PreviousKey is null, TimeSpan.FromSeconds(10), () => "the config file was not reloaded");
            await Eventually.HoldsAsync(
                async () => FailureOf(await AnnounceAsync(bed, OldKey, "-XX0001-000000000001")).Contains("unknown volunteer key", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), () => "the retired key is still accepted");
            Assert.Equal(string.Empty, FailureOf(await AnnounceAsync(bed, TrackerTestBed.V1Key, "-XX0001-000000000002")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_previous_key_must_be_unique_and_needs_a_current_key()
    {
        var validator = new VolunteerSetOptionsValidator();
        var options = new VolunteerSetOptions();
        options.Members.Add(new VolunteerOptions { Id = "v1", Url = "http://127.0.0.1:1/", Key = "v1-new-key-0123456789", PreviousKey = OldKey });
        options.Members.Add(new VolunteerOptions { Id = "v2", Url = "http://127.0.0.1:2/", Key = OldKey });
        options.Members.Add(new VolunteerOptions { Id = "v3", Url = "http://127.0.0.1:3/", PreviousKey = "v3-old-key-0123456789" });
        var result = validator.Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Volunteers:1:Key is the same as another key", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Volunteers:2:PreviousKey is set without", StringComparison.Ordinal));
    }

    private static async Task<string> AnnounceAsync(TrackerTestBed bed, string key, string peerId) =>
        await bed.Gateway.Client.GetStringAsync(
            $"{bed.HttpUrl}/announce/{key}?info_hash={TrackerTestBed.PercentEncode(bed.InfoHash.ToArray())}&peer_id={peerId}&port=6881&uploaded=0&downloaded=0&left=0&event=started");

    private static string FailureOf(string bencoded) =>
        bencoded.Contains("failure reason", StringComparison.Ordinal) ? bencoded : string.Empty;
}
