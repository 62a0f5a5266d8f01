using System.CommandLine;
using Gateway.ClientProxy;

namespace Gateway.Cli;

/// <summary><c>verify-proxy</c>: the verifying HTTP proxy beside a customer.</summary>
internal sealed class VerifyProxyVerb
{
    public VerifyProxyVerb()
    {
        var settings = new HostSettings(Command);
        Command.SetAction((result, cancellationToken) => HostRun.RunAsync(VerifyProxyServer.Build(settings.HostArguments(result)), cancellationToken));
    }

    public Command Command { get; } = new(
        "verify-proxy",
        "A verifying HTTP proxy for apt and curl beside a customer (--VerifyProxy:Listen=http://127.0.0.1:3142, --VerifyProxy:ReportKey=KEY): follows the gateway's redirect and checks the body against its Repr-Digest (docs/verification.md).");
}
