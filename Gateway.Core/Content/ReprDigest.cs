namespace Gateway.Core.Content;

/// <summary>Reads the SHA-256 out of an RFC 9530 <c>Repr-Digest</c> header (<c>sha-256=:base64:</c>, possibly among others).</summary>
public static class ReprDigest
{
    public static byte[]? TryParseSha256(IEnumerable<string>? values)
    {
        if (values is null)
        {
            return null;
        }

        foreach (var value in values)
        {
            foreach (var member in value.Split(',', StringSplitOptions.TrimEntries))
            {
                if (member.StartsWith("sha-256=:", StringComparison.OrdinalIgnoreCase) && member.EndsWith(':') && member.Length > 10)
                {
                    var hash = new byte[32];
                    if (Convert.TryFromBase64String(member[9..^1], hash, out var written) && written == 32)
                    {
                        return hash;
                    }
                }
            }
        }

        return null;
    }
}
