using System.Net;
using System.Net.Http.Headers;
using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.TamperScenario;

namespace Gateway.Tests.EndToEnd;

/// <summary>Proxy mode with verification on: a tampering volunteer never gets an altered byte to the customer.</summary>
public sealed class ProxyVerificationTests
{
    private static readonly string[] ProxyMode =
        ["--Gateway:Mode=Proxy", "--Selection:Seed=3", "--Proxy:ActivityTimeout=00:00:00.5", "--Health:PassiveEnabled=false"];

    public static TheoryData<VolunteerBehavior> Tampering =>
    [
        VolunteerBehavior.FlipByte, VolunteerBehavior.OtherFileSameSize, VolunteerBehavior.Truncate,
        VolunteerBehavior.ExtraBytes, VolunteerBehavior.StallMidBody, VolunteerBehavior.WrongContentLength,
    ];

    /// <summary>
    /// 170 downloads per behaviour (1,020 over the theory) in parallel batches of 10: whole small files, whole
    /// chunked files and ranges across chunk boundaries. The quarantine is cleared before each batch so the
    /// tamperer keeps being chosen; after each batch it tampered in, it is quarantined (a stall is no offense).
    /// </summary>
    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task No_altered_byte_reaches_the_customer_and_every_download_completes(VolunteerBehavior behavior)
    {
        await using var s = await StartAsync(ProxyMode);
        s.Tamperer.Behavior = behavior;
        var tiny = s.Read(Tiny);
        var chunked = s.Read(Chunked);
        var offense = behavior != VolunteerBehavior.StallMidBody;
        await s.RunBatchesAsync(behavior, offense, (batch, i) => (i % 3) switch
        {
            0 => ExpectAsync(s, Tiny, null, tiny),
            1 => ExpectAsync(s, Chunked, null, chunked),
            _ => ExpectAsync(s, Chunked, (70_000 + i, 200_000 + batch), chunked.AsSpan(70_000 + i, 130_001 + batch - i).ToArray()),
        });
    }

    [Fact]
    public async Task A_tamperer_is_quarantined_at_its_first_offense_and_never_chosen_again()
    {
        await using var s = await StartAsync(ProxyMode);
        s.Tamperer.Behavior = VolunteerBehavior.FlipByte;
        var chunked = s.Read(Chunked);
        for (var i = 0; i < 30 && s.Tamperer.HitCount == 0; i++)
        {
            await ExpectAsync(s, Chunked, null, chunked);
        }

        Assert.Equal(1, s.Tamperer.HitCount);
        var record = s.Quarantine.Find("v1");
        Assert.NotNull(record);
        Assert.Contains("SHA-256 mismatch", record.Reason, StringComparison.Ordinal);
        for (var i = 0; i < 20; i++)
        {
            await ExpectAsync(s, Chunked, null, chunked);
        }

        Assert.Equal(1, s.Tamperer.HitCount);
    }

    [Fact]
    public async Task A_stall_after_verified_chunks_resumes_on_another_holder_in_one_seamless_response()
    {
        await using var s = await StartAsync(ProxyMode);
        s.Tamperer.Behavior = VolunteerBehavior.StallMidBody;
        var expected = s.Read(Chunked);
        var output = Path.Combine(s.Repository.Root, "curl.out");

        // The stalling holder sends two whole chunks and half a third, then nothing: the gateway has forwarded the
        // two verified chunks and continues from byte 131072 on another holder with a Range request.
        for (var i = 0; i < 30 && s.Tamperer.HitCount == 0; i++)
        {
            var curl = await CommandLine.CurlAsync("-o", output, "-w", "%{http_code} %{size_download}", s.Url(Chunked));
            Assert.Equal($"200 {expected.Length}", curl.Stdout);
            Assert.Equal(expected, await File.ReadAllBytesAsync(output));
        }

        Assert.Equal(1, s.Tamperer.HitCount);
        Assert.False(s.Quarantine.Contains("v1"));
    }

    [Fact]
    public async Task Verification_off_streams_through_as_before()
    {
        await using var s = await StartAsync([.. ProxyMode, "--Verify:Proxy=false"]);
        s.Tamperer.Behavior = VolunteerBehavior.FlipByte;
        var chunked = s.Read(Chunked);
        var altered = 0;
        for (var i = 0; i < 30 && s.Tamperer.HitCount == 0; i++)
        {
            using var response = await s.Gateway.Client.GetAsync(Chunked);
            altered += (await response.Content.ReadAsByteArrayAsync()).AsSpan().SequenceEqual(chunked) ? 0 : 1;
        }

        // This is what verification is for: unverified, the tamperer's bytes went to the customer.
        Assert.Equal(1, altered);
        Assert.False(s.Quarantine.Contains("v1"));
    }

    [Fact]
    public async Task Ranges_are_sliced_from_verified_chunks_and_unsatisfiable_ones_get_416()
    {
        await using var s = await StartAsync(ProxyMode);
        var chunked = s.Read(Chunked);
        foreach (var (from, to) in new[] { (0L, 0L), (65_535L, 65_536L), (131_072L, 299_999L), (299_999L, 299_999L) })
        {
            await ExpectAsync(s, Chunked, (from, to), chunked.AsSpan((int)from, (int)(to - from + 1)).ToArray());
        }

        using var suffix = new HttpRequestMessage(HttpMethod.Get, Chunked);
        suffix.Headers.Range = new RangeHeaderValue(null, 1000);
        using var suffixResponse = await s.Gateway.Client.SendAsync(suffix);
        Assert.Equal(HttpStatusCode.PartialContent, suffixResponse.StatusCode);
        Assert.Equal(chunked[^1000..], await suffixResponse.Content.ReadAsByteArrayAsync());

        using var beyond = new HttpRequestMessage(HttpMethod.Get, Chunked);
        beyond.Headers.Range = new RangeHeaderValue(400_000, null);
        using var beyondResponse = await s.Gateway.Client.SendAsync(beyond);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyondResponse.StatusCode);
        Assert.Equal("bytes */300000", beyondResponse.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public async Task A_file_too_large_to_verify_whole_and_without_chunk_hashes_comes_from_the_origin()
    {
        // Tiny (40 KB) has no chunk hashes (it is smaller than a chunk); allowed to hold only 1 KiB whole, the
        // gateway cannot verify it before forwarding, so the origin (trusted) serves it.
        await using var s = await StartAsync([.. ProxyMode, "--Verify:MaxWholeFileBytes=1024"]);
        await ExpectAsync(s, Tiny, null, s.Read(Tiny));
        Assert.All(s.Gateway.Volunteers, v => Assert.Equal(0, v.HitCount));
    }

    internal static async Task ExpectAsync(TamperScenario s, string path, (long From, long To)? range, byte[] expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (range is { } r)
        {
            request.Headers.Range = new RangeHeaderValue(r.From, r.To);
        }

        using var response = await s.Gateway.Client.SendAsync(request);
        Assert.Equal(range is null ? HttpStatusCode.OK : HttpStatusCode.PartialContent, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(body.AsSpan().SequenceEqual(expected), $"{path} {range}: {body.Length} bytes that differ from the {expected.Length} expected");
    }
}
