namespace Gateway.Cli;

/// <summary>
/// <c>publish --notify</c>: tells each gateway's release feed that a new manifest is written, so it loads it now and
/// its volunteer agents start syncing. A gateway that cannot be told is named on stderr; it still loads the
/// manifest at its next <c>Catalog:ReloadInterval</c>, so publish itself does not fail.
/// </summary>
internal static class ReleaseNotifier
{
    public static async Task NotifyAsync(IReadOnlyList<Uri> gateways, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        if (gateways.Count == 0)
        {
            return;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var gateway in gateways)
        {
            try
            {
                using var response = await http.PostAsync(gateway, content: null, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    await output.WriteLineAsync($"Notified {gateway}").ConfigureAwait(false);
                }
                else
                {
                    await errors.WriteLineAsync($"publish: {gateway} answered {(int)response.StatusCode} to the release notification; it loads the manifest at its next reload interval").ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await errors.WriteLineAsync($"publish: could not notify {gateway} ({ex.Message}); it loads the manifest at its next reload interval").ConfigureAwait(false);
            }
        }
    }
}
