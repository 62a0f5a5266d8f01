namespace Gateway.Core.Hosting;

/// <summary>
/// Kestrel limits set explicitly (a download has no body and few headers), optionally overridden under
/// <c>Kestrel:Limits</c>, and HTTPS endpoints with certificates from <c>Kestrel:Endpoints</c> (which the slim
/// builder leaves out unless asked).
/// </summary>
public static class KestrelHardening
{
    public static void Apply(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.UseKestrelHttpsConfiguration();
        var limits = builder.Configuration.GetSection("Kestrel:Limits");
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            var l = options.Limits;
            l.MaxRequestBodySize = 64 * 1024;
            l.MaxRequestLineSize = 8 * 1024;
            l.MaxRequestHeadersTotalSize = 16 * 1024;
            l.MaxRequestHeaderCount = 50;
            l.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
            l.Http2.MaxRequestHeaderFieldSize = 8 * 1024;
            limits.Bind(l);
        });
    }
}
