using System.Text;
using CsCheck;
using Gateway.Core.Paths;

namespace Gateway.Tests.RequestPaths;

public sealed class RequestPathNormalizerTests
{
    [Theory]
    [InlineData("/pool/main/a/app_1.0_amd64.deb", "pool/main/a/app_1.0_amd64.deb")]
    [InlineData("/pool/main/a/app%2B1.0_amd64.deb?x=1", "pool/main/a/app+1.0_amd64.deb")]
    [InlineData("/caf%C3%A9/file", "café/file")]
    [InlineData("/", "")]
    [InlineData("/dists/stable/", "dists/stable/")]
    [InlineData("http://repo.example.org/pool/a.deb", "pool/a.deb")]
    [InlineData("/a%20b", "a b")]
    public void Accepts_a_plain_path_and_decodes_it(string raw, string expected)
    {
        Assert.True(RequestPathNormalizer.TryNormalize(raw, 1024, out var path, out var error), error);
        Assert.Equal(expected, path);
    }

    [Theory]
    [InlineData("/../etc/passwd", "'.' or '..'")]
    [InlineData("/a/%2e%2e/b", "'.' or '..'")]
    [InlineData("/a/%2E/b", "'.' or '..'")]
    [InlineData("/a%2fb", "encoded slash")]
    [InlineData("/a%5cb", "backslash")]
    [InlineData("/a%00b", "control character")]
    [InlineData("/a%0d%0aX: y", "control character")]
    [InlineData("/a//b", "empty segment")]
    [InlineData("/a%zzb", "percent-escape")]
    [InlineData("/a%4", "percent-escape")]
    [InlineData("/%ff", "UTF-8")]
    [InlineData("/%c0%af", "UTF-8")]
    [InlineData("relative", "start with '/'")]
    [InlineData("", "no path")]
    [InlineData("/é", "non-ASCII")]
    public void Refuses_a_hostile_or_malformed_path_and_says_why(string raw, string reason)
    {
        Assert.False(RequestPathNormalizer.TryNormalize(raw, 1024, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_path_over_the_length_limit()
    {
        Assert.False(RequestPathNormalizer.TryNormalize("/" + new string('a', 100), 64, out _, out var error));
        Assert.Contains("longer than 64 bytes", error, StringComparison.Ordinal);
        Assert.False(RequestPathNormalizer.TryNormalize("/" + new string('a', RequestPathNormalizer.MaxRawLength), 1 << 20, out _, out _));
    }

    [Fact]
    public void Never_throws_and_never_accepts_a_dot_segment_backslash_or_control_character_for_any_input()
    {
        Gen.String[Gen.Char['\0', '\u00ff'], 0, 60].Select(s => "/" + s)
            .Sample(raw =>
            {
                if (RequestPathNormalizer.TryNormalize(raw, 1024, out var path, out _))
                {
                    Assert.DoesNotContain(path.Split('/'), s => s is "." or "..");
                    Assert.DoesNotContain('\\', path);
                    Assert.DoesNotContain(path, c => c < 0x20 || c == 0x7f);
                }
            }, iter: 20_000);
    }

    [Fact]
    public void Percent_encoded_garbage_never_escapes_the_rules()
    {
        var escaped = Gen.Byte.Array[0, 40].Select(bytes => "/" + string.Concat(bytes.Select(b => b == '/' ? "/" : $"%{b:X2}")));
        escaped.Sample(raw =>
        {
            if (RequestPathNormalizer.TryNormalize(raw, 1024, out var path, out _))
            {
                Assert.DoesNotContain(path.Split('/'), s => s is "." or "..");
                Assert.True(Encoding.UTF8.GetByteCount(path) <= 1024);
                Assert.DoesNotContain('\0', path);
            }
        }, iter: 20_000);
    }

    [Fact]
    public void A_catalog_path_escaped_segment_by_segment_normalizes_back_to_itself()
    {
        var segment = Gen.String[Gen.Char['\u0020', '\u07ff'], 1, 12].Where(s => s is not ("." or "..") && !s.Contains('/') && !s.Contains('\\') && s.All(c => c != 0x7f) && !s.Any(char.IsSurrogate));
        segment.Array[1, 6].Select(parts => string.Join('/', parts))
            .Sample(path =>
            {
                Assert.True(RequestPathNormalizer.IsNormalizedRelativePath(path));
                var raw = "/" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
                Assert.True(RequestPathNormalizer.TryNormalize(raw, 4096, out var back, out var error), error);
                Assert.Equal(path, back);
            }, iter: 5_000);
    }
}
