using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Proxy.Transport;

/// <summary>
/// Decides whether an https volunteer's certificate is trusted when the gateway fetches from it (proxy mode,
/// verified proxying, health probes): the system's trust store as always, plus the CA certificates in
/// <c>Proxy:VolunteerCaFile</c> (volunteers with certificates from the operator's own CA or self-signed ones), plus
/// certificates pinned by SHA-256 in <c>Proxy:VolunteerCertificateThumbprints</c>. The host name must match in every
/// case: this is never "accept any certificate".
/// </summary>
public sealed class VolunteerCertificateTrust
{
    private readonly X509Certificate2Collection _authorities = [];
    private readonly HashSet<string> _pinned;

    public VolunteerCertificateTrust(IOptions<ProxyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        if (!string.IsNullOrEmpty(settings.VolunteerCaFile))
        {
            _authorities.ImportFromPemFile(settings.VolunteerCaFile);
        }

        _pinned = new HashSet<string>(settings.VolunteerCertificateThumbprints.Select(Normalize), StringComparer.Ordinal);
    }

    /// <summary>True when nothing beyond the system's trust store is configured (the handler keeps the default check).</summary>
    public bool IsDefault => _authorities.Count == 0 && _pinned.Count == 0;

    /// <summary>Sets the validation callback on a handler that talks to volunteers (unchanged when nothing is configured).</summary>
    public void Apply(SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (!IsDefault)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => IsTrusted(certificate as X509Certificate2, errors);
        }
    }

    public bool IsTrusted(X509Certificate2? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // A wrong name or no certificate is never excused; only a chain the system does not know.
        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        if (_pinned.Contains(Convert.ToHexStringLower(certificate.GetCertHash(HashAlgorithmName.SHA256))))
        {
            return true;
        }

        if (_authorities.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        return chain.Build(certificate);
    }

    /// <summary>Accepts <c>AB:CD…</c>, spaces and either case.</summary>
    public static string Normalize(string thumbprint) => ProxyOptions.NormalizeThumbprint(thumbprint);
}
