using System.Net;
using Gateway.Core.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Gateway.ClientProxy;

/// <summary>Builds and runs the verifying client proxy (the <c>verify-proxy</c> subcommand).</summary>
public static class VerifyProxyServer
{
    public static WebApplication Build(string[] args)
    {
        var builder = HostBuilders.CreateSlim(args, reloadConfigFile: false);

        var section = builder.Configuration.GetSection(VerifyProxyOptions.Section);
        builder.Services.AddOptions<VerifyProxyOptions>().Bind(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<VerifyProxyOptions>, VerifyProxyOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new HttpMessageInvoker(new SocketsHttpHandler
        {
            // The proxy's own upstream requests must not go to a proxy from the environment (possibly itself).
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = sp.GetRequiredService<IOptions<VerifyProxyOptions>>().Value.ActivityTimeout,
        }));
        builder.Services.AddSingleton<VerifyingClientProxy>();
        builder.WebHost.UseUrls(section[nameof(VerifyProxyOptions.Listen)] ?? new VerifyProxyOptions().Listen);
        var app = builder.Build();
        _ = app.Services.GetRequiredService<IOptions<VerifyProxyOptions>>().Value;
        var proxy = app.Services.GetRequiredService<VerifyingClientProxy>();
        app.Run(proxy.HandleAsync);
        return app;
    }

    /// <summary>The address the proxy listens on once started (port 0 resolved).</summary>
    public static Uri Address(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }
}
