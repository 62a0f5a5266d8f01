namespace Gateway.Cli;

/// <summary>Runs a built host until it stops: its own lifetime handles Ctrl-C and SIGTERM (a volunteer drains on it).</summary>
internal static class HostRun
{
    public static async Task<int> RunAsync(WebApplication app, CancellationToken cancellationToken)
    {
        await using (app.ConfigureAwait(false))
        {
            await ((IHost)app).RunAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }
}
