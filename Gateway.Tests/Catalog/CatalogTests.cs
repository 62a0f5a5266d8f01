using System.Security.Cryptography;
using System.Text;
using Gateway.Core.Catalog;

namespace Gateway.Tests.Catalog;

public sealed class CatalogTests
{
    private static ManifestFile File(string path, string content = "a", long size = 10) =>
        new(path, size, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))), 0);

    [Fact]
    public void Lookup_is_by_exact_normalized_path()
    {
        var catalog = new RepositoryCatalog(new Manifest(1, DateTimeOffset.UnixEpoch, [File("pool/a.deb"), File("Pool/B.deb", "b")]), "v1");
        Assert.NotNull(catalog.Find("pool/a.deb"));
        Assert.Null(catalog.Find("/pool/a.deb"));
        Assert.Null(catalog.Find("pool/A.deb"));
        Assert.Null(catalog.Find("pool/a.deb/"));
        Assert.Equal("Pool/B.deb", catalog.Find("Pool/B.deb")!.Path);
    }

    [Fact]
    public void Identical_bytes_under_two_names_share_one_content_id_and_an_inventory_may_name_either()
    {
        var catalog = new RepositoryCatalog(new Manifest(1, DateTimeOffset.UnixEpoch, [File("main/x.deb", "same"), File("contrib/x.deb", "same"), File("other.deb", "other")]), "v1");
        Assert.Equal(catalog.Find("main/x.deb")!.ContentId, catalog.Find("contrib/x.deb")!.ContentId);
        Assert.Equal(2, catalog.ContentIds.Count);
        var sha = catalog.Find("other.deb")!.Sha256;
        Assert.Equal(2, catalog.ResolveInventory(["/main/x.deb", sha, "not/published", "contrib/x.deb"]).Count);
    }

    [Fact]
    public void Header_values_are_computed_once_per_entry()
    {
        var entry = new CatalogEntry(File("dir with space/ü.deb", "x"));
        Assert.Equal("dir%20with%20space/%C3%BC.deb", entry.EscapedPath);
        Assert.Equal("sha-256=:" + Convert.ToBase64String(SHA256.HashData("x"u8)) + ":", entry.ReprDigest);
    }

    [Theory]
    [InlineData("""{"format":2,"generated":"2026-01-01T00:00:00Z","files":[]}""", "format 2")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"../x","size":1,"sha256":"00","content":"c","modified":0}]}""", "files[0] (../x)")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"a","size":1,"sha256":"00","content":"c","modified":0}]}""", "64 lowercase hex")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"a","size":-1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0}]}""", "negative")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"a","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0},{"path":"a","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0}]}""", "listed twice")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"/etc/passwd","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0}]}""", "files[0] (/etc/passwd)")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"a//b","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0}]}""", "files[0] (a//b)")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"a\\b","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0}]}""", "without '.', '..' or empty segments")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"a/\u0000b","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0}]}""", "without '.', '..' or empty segments")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"a","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0},{"path":"b","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0},{"path":"a","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0}]}""", "files[2] (a): the path is listed twice")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"a","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0}""", "truncated")]
    [InlineData("""{"generated":"2026-01-01T00:00:00Z","files":[]}""", "no \"format\"")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z"}""", "no \"files\" array")]
    [InlineData("""{"format":1,""", "not valid JSON")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"a","size":10,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0,"chunks":{"size":4,"sha256":["0000000000000000000000000000000000000000000000000000000000000000","0000000000000000000000000000000000000000000000000000000000000000"]}}]}""", "2 hashes for 3 chunks of 4 bytes")]
    [InlineData("""{"format":1,"generated":"2026-01-01T00:00:00Z","files":[{"path":"a","size":10,"sha256":"0000000000000000000000000000000000000000000000000000000000000000","content":"c","modified":0,"chunks":{"size":0,"sha256":[]}}]}""", "chunks: size must be at least 1")]
    public async Task A_bad_manifest_is_refused_with_a_message_naming_the_entry(string json, string expected)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ManifestReader.ReadAsync(stream, CancellationToken.None));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
