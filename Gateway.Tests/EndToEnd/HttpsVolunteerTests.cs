using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Delivery;
using Gateway.Delivery.Proxy.Transport;
using Gateway.Delivery.Quarantine;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// Volunteers serving https with a self-signed certificate made here: proxy mode (verifying and not) fetches from
/// them only when the gateway is told to trust that certificate (a CA file or a pinned fingerprint), never blindly.
/// </summary>
public sealed class HttpsVolunteerTests
{
    private const string Tiny = "pool/main/t/tiny_1.0_all.deb";
    private const string Chunked = "pool/main/c/chunked_1.0_amd64.deb";

    [Fact]
    public async Task Proxy_mode_verifies_https_volunteers_trusted_by_the_configured_ca_and_quarantines_a_tamperer()
    {
        await using var s = await HttpsScene.StartAsync(trust => [$"--Proxy:VolunteerCaFile={trust.PemPath}"], "--Gateway:Mode=Proxy");
        s.Volunteers[0].Behavior = VolunteerBehavior.FlipByte;
        await s.DownloadAllAsync(20);
        Assert.True(s.Volunteers[0].HitCount > 0, "the tampering https volunteer was never asked, so nothing was tested");
        Assert.True(s.Volunteers[1].HitCount > 0, "the honest https volunteer never served: nothing came over TLS");
        Assert.True(s.Gateway.App.Services.GetRequiredService<QuarantineList>().Contains("v1"));
    }

    [Fact]
    public async Task Unverified_proxy_mode_uses_the_same_trust_with_a_pinned_fingerprint()
    {
        await using var s = await HttpsScene.StartAsync(trust => [$"--Proxy:VolunteerCertificateThumbprints:0={trust.Fingerprint}"], "--Gateway:Mode=Proxy", "--Verify:Proxy=false");
        await s.DownloadAllAsync(10);
        Assert.True(s.Volunteers.Sum(v => v.HitCount) >= 10, "YARP's forwarder did not fetch from the https volunteers");
    }

    [Fact]
    public async Task Without_configured_trust_a_self_signed_volunteer_is_never_used_and_the_origin_serves()
    {
        await using var s = await HttpsScene.StartAsync(_ => [], "--Gateway:Mode=Proxy");
        await s.DownloadAllAsync(10);
        Assert.Equal(0, s.Volunteers.Sum(v => v.HitCount));
    }

    [Fact]
    public void A_pinned_or_ca_trusted_certificate_is_refused_for_another_host_name()
    {
        using var certificate = HttpsScene.CreateCertificate();
        var path = Path.Combine(Path.GetTempPath(), $"gw-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        try
        {
            var options = new ProxyOptions { VolunteerCaFile = path };
            options.VolunteerCertificateThumbprints.Add(Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)));
            var trust = new VolunteerCertificateTrust(Options.Create(options));
            Assert.True(trust.IsTrusted(certificate, SslPolicyErrors.RemoteCertificateChainErrors));
            Assert.False(trust.IsTrusted(certificate, SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors));
            Assert.False(trust.IsTrusted(null, SslPolicyErrors.RemoteCertificateNotAvailable));
            using var stranger = HttpsScene.CreateCertificate();
            Assert.False(new VolunteerCertificateTrust(Options.Create(new ProxyOptions { VolunteerCaFile = path })).IsTrusted(stranger, SslPolicyErrors.RemoteCertificateChainErrors));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class HttpsScene : IAsyncDisposable
    {
        private HttpsScene(TestRepository repository, X509Certificate2 certificate)
        {
            Repository = repository;
            Certificate = certificate;
            PemPath = Path.Combine(repository.Root, "volunteer-ca.pem");
            File.WriteAllText(PemPath, certificate.ExportCertificatePem());
            Fingerprint = Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
        }

        public TestRepository Repository { get; }

        public X509Certificate2 Certificate { get; }

        public string PemPath { get; }

        public string Fingerprint { get; }

        public List<TestVolunteer> Volunteers { get; } = [];

        public GatewayUnderTest Gateway { get; private set; } = null!;

        public static async Task<HttpsScene> StartAsync(Func<HttpsScene, string[]> trust, params string[] settings)
        {
            var repository = new TestRepository();
            repository.Add(Tiny, 40_000);
            repository.Add(Chunked, 300_000);
            await repository.PublishAsync(64 * 1024);
            var scene = new HttpsScene(repository, CreateCertificate());
            foreach (var id in new[] { "v1", "v2" })
            {
                scene.Volunteers.Add(await TestVolunteer.StartHttpsAsync(id, repository.MirrorFolder(id, [Tiny, Chunked]), scene.Certificate));
            }

            scene.Gateway = await GatewayUnderTest.StartAsync(
                repository, scene.Volunteers,
                ["--Volunteers:0:Inventory=all", "--Volunteers:1:Inventory=all", "--Gateway:SmallFileThreshold=0", "--Proxy:ActivityTimeout=00:00:02", "--Health:PassiveEnabled=false", .. settings, .. trust(scene)]);
            return scene;
        }

        /// <summary>A self-signed server certificate for 127.0.0.1, with its private key in a form Kestrel can use.</summary>
        public static X509Certificate2 CreateCertificate()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=gateway-test-volunteer", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        }

        public async Task DownloadAllAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var path = i % 2 == 0 ? Chunked : Tiny;
                using var response = await Gateway.Client.GetAsync(path);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(Repository.Read(path), await response.Content.ReadAsByteArrayAsync());
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            foreach (var volunteer in Volunteers)
            {
                await volunteer.DisposeAsync();
            }

            Certificate.Dispose();
            Repository.Dispose();
        }
    }
}
