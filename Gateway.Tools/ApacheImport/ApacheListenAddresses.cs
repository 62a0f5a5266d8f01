using System.Globalization;

namespace Gateway.Tools.ApacheImport;

/// <summary>
/// Where the imported gateway listens: httpd's <c>Listen</c> lines, narrowed to the <c>&lt;VirtualHost&gt;</c> that
/// holds the balancer's <c>ProxyPass</c> when there is one, as Kestrel's <c>Urls</c> (<c>http://IP:port;…</c>).
/// </summary>
internal sealed class ApacheListenAddresses
{
    private readonly List<(string Host, int Port, ConfigLocation At)> _listens = [];

    /// <summary>Takes a <c>Listen [IP:]port [protocol]</c> line; returns a note when it cannot be carried over, else null.</summary>
    public ImportNote? Add(ApacheDirective listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        if (listen.Args.Count == 0 || !TryParse(listen.Args[0], out var host, out var port))
        {
            throw new ApacheImportException($"{listen.Location}: Listen '{string.Join(' ', listen.Args)}' is not [IP:]port.");
        }

        if (listen.Args.Count > 1 && !string.Equals(listen.Args[1], "http", StringComparison.OrdinalIgnoreCase))
        {
            return new ImportNote(listen.Location, $"Listen {string.Join(' ', listen.Args)}", "https listeners need a certificate in Kestrel:Endpoints (docs/operations.md); not imported");
        }

        _listens.Add((host, port, listen.Location));
        return null;
    }

    /// <summary>
    /// The gateway's <c>Urls</c> for a balancer proxied inside <paramref name="virtualHost"/> (null: at top level), or
    /// null when httpd's configuration names no address (Kestrel's default then applies).
    /// </summary>
    public string? UrlsFor(ApacheDirective? virtualHost)
    {
        var addresses = new List<string>();
        if (virtualHost is not null)
        {
            foreach (var arg in virtualHost.Args)
            {
                if (!TryParse(arg, out var host, out var port))
                {
                    continue;
                }

                // <VirtualHost *:8080> answers on every Listen of that port; an address of its own is the address.
                var matching = host == "0.0.0.0" ? _listens.Where(l => l.Port == port).Select(l => Url(l.Host, l.Port)).ToList() : [];
                addresses.AddRange(matching.Count > 0 ? matching : [Url(host, port)]);
            }
        }

        if (addresses.Count == 0)
        {
            addresses.AddRange(_listens.Select(l => Url(l.Host, l.Port)));
        }

        return addresses.Count == 0 ? null : string.Join(';', addresses.Distinct(StringComparer.Ordinal));
    }

    private static string Url(string host, int port) => string.Create(CultureInfo.InvariantCulture, $"http://{host}:{port}");

    /// <summary>"8080", "*:8080", "10.0.0.1:80", "[::1]:80" (a VirtualHost's "_default_" and "*" count as any address).</summary>
    private static bool TryParse(string value, out string host, out int port)
    {
        var colon = value.LastIndexOf(':');
        var hostPart = colon < 0 ? "*" : value[..colon];
        var portPart = colon < 0 ? value : value[(colon + 1)..];
        host = hostPart is "*" or "_default_" or "" ? "0.0.0.0" : hostPart;
        return int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536
            && (host.StartsWith('[') || !host.Contains(':', StringComparison.Ordinal));
    }
}
