using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml.Linq;
using Gateway.Tests.Infrastructure;

using static Gateway.Tests.EndToEnd.TamperScenario;

namespace Gateway.Tests.EndToEnd;

/// <summary>What the gateway tells customers about a file's mirrors and digests (MirrorBrain/Mirrorbits style).</summary>
public sealed class MirrorInfoTests : IAsyncLifetime
{
    private static readonly XNamespace Metalink = "urn:ietf:params:xml:ns:metalink";
    private TamperScenario _s = null!;

    public async Task InitializeAsync() => _s = await StartAsync("--Gateway:Mode=Redirect", "--Selection:Seed=5");

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task A_redirect_carries_the_digest_the_other_holders_the_origin_and_the_metalink()
    {
        using var response = await _s.Gateway.Client.GetAsync(Chunked);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("sha-256=:" + Convert.ToBase64String(SHA256.HashData(_s.Read(Chunked))) + ":", response.Headers.GetValues("Repr-Digest").Single());
        var links = response.Headers.GetValues("Link").ToList();
        var location = response.Headers.Location!.ToString();
        var others = _s.Gateway.Volunteers.Select(v => v.BaseUrl + Chunked).Where(u => u != location).Order().ToList();
        Assert.Equal(2, others.Count);
        Assert.Equal(others, links.Take(2).Select(l => l[1..l.IndexOf('>', StringComparison.Ordinal)]).Order());
        Assert.EndsWith("; rel=duplicate; pri=1", links[0], StringComparison.Ordinal);
        Assert.EndsWith("; rel=duplicate; pri=2", links[1], StringComparison.Ordinal);
        Assert.Equal($"<{_s.Gateway.Origin.BaseUrl}{Chunked}>; rel=duplicate; pri=3", links[2]);
        Assert.Equal($"</{Chunked}?meta4>; rel=describedby; type=\"application/metalink4+xml\"", links[3]);
    }

    [Fact]
    public async Task Sha256_meta4_and_mirrorlist_describe_the_file_with_the_origin_last()
    {
        var bytes = _s.Read(Chunked);
        Assert.Equal($"{Convert.ToHexStringLower(SHA256.HashData(bytes))}  chunked_1.0_amd64.deb\n", await _s.Gateway.Client.GetStringAsync(Chunked + "?sha256"));

        using var meta4 = await _s.Gateway.Client.GetAsync(Chunked + "?meta4");
        Assert.Equal("application/metalink4+xml", meta4.Content.Headers.ContentType!.MediaType);
        var file = XDocument.Parse(await meta4.Content.ReadAsStringAsync()).Root!.Element(Metalink + "file")!;
        Assert.Equal("chunked_1.0_amd64.deb", file.Attribute("name")!.Value);
        Assert.Equal("300000", file.Element(Metalink + "size")!.Value);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), file.Element(Metalink + "hash")!.Value);
        var pieces = file.Element(Metalink + "pieces")!;
        Assert.Equal("65536", pieces.Attribute("length")!.Value);
        Assert.Equal(
            Enumerable.Range(0, 5).Select(i => Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(i * ChunkSize, Math.Min(ChunkSize, bytes.Length - (i * ChunkSize)))))),
            pieces.Elements(Metalink + "hash").Select(h => h.Value));
        var urls = file.Elements(Metalink + "url").Select(u => (Url: u.Value, Priority: u.Attribute("priority")!.Value)).ToList();
        Assert.Equal(4, urls.Count);
        Assert.Equal(($"{_s.Gateway.Origin.BaseUrl}{Chunked}", "4"), urls[3]);
        Assert.Equal(_s.Gateway.Volunteers.Select(v => v.BaseUrl + Chunked).Order(), urls.Take(3).Select(u => u.Url).Order());

        using var json = JsonDocument.Parse(await _s.Gateway.Client.GetStringAsync(Chunked + "?mirrorlist&format=json"));
        Assert.Equal(4, json.RootElement.GetProperty("mirrors").GetArrayLength());
        Assert.Equal("origin", json.RootElement.GetProperty("mirrors")[3].GetProperty("id").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, Chunked + "?mirrorlist");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var html = await _s.Gateway.Client.SendAsync(request);
        Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
        Assert.Contains($"<a href=\"{_s.Gateway["v2"].BaseUrl}{Chunked}\">", await html.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Aria2c_given_the_metalink_downloads_the_right_bytes_while_a_tamperer_is_listed()
    {
        var (meta4Url, mirrors) = await MirrorsAsync();
        var tamperer = mirrors[1];
        tamperer.Behavior = VolunteerBehavior.FlipByte;

        var run = await Aria2cAsync(meta4Url, "listed");
        Assert.True(run.Result.ExitCode == 0, run.Result.Stdout + run.Result.Stderr);
        Assert.Equal(_s.Read(Chunked), run.Fetched);
    }

    [Fact]
    public async Task Aria2c_given_the_metalink_refuses_a_tamperers_piece_by_itself()
    {
        // aria2c (1.36) checks each piece against the metalink's SHA-256 piece hashes; when the mirror it uses
        // sends a bad piece it retries and then gives up (it does not move to the next mirror), but never
        // reports the altered file as complete.
        var (meta4Url, mirrors) = await MirrorsAsync();
        mirrors[0].Behavior = VolunteerBehavior.FlipByte;

        var run = await Aria2cAsync(meta4Url, "first");
        Assert.NotEqual(0, run.Result.ExitCode);
        Assert.Contains("Invalid checksum", run.Result.Stdout, StringComparison.Ordinal);
        Assert.True(mirrors[0].Tampered.GetValueOrDefault(VolunteerBehavior.FlipByte) > 0);
    }

    /// <summary>The metalink's URL and its volunteers in priority order.</summary>
    private async Task<(string Url, List<TestVolunteer> Mirrors)> MirrorsAsync()
    {
        var meta4 = await _s.Gateway.Client.GetStringAsync(Chunked + "?meta4");
        var urls = XDocument.Parse(meta4).Root!.Element(Metalink + "file")!.Elements(Metalink + "url").Select(u => u.Value).ToList();
        var volunteers = urls.Take(3).Select(u => _s.Gateway.Volunteers.Single(v => u.StartsWith(v.BaseUrl.ToString(), StringComparison.Ordinal))).ToList();
        return ($"{_s.Gateway.Url}/{Chunked}?meta4", volunteers);
    }

    private async Task<(CommandResult Result, byte[] Fetched)> Aria2cAsync(string url, string folderName)
    {
        var folder = Path.Combine(_s.Repository.Root, folderName);
        var result = await CommandLine.RunAsync("aria2c", [
            "--dir", folder, "--no-conf", "--console-log-level=warn", "--summary-interval=0", "--follow-metalink=mem",
            "--max-tries=2", "--retry-wait=0", "--split=1", url]);
        var file = Path.Combine(folder, "chunked_1.0_amd64.deb");
        return (result, File.Exists(file) ? await File.ReadAllBytesAsync(file) : []);
    }
}
