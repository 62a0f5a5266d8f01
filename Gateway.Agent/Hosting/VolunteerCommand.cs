using System.Text.Json;

namespace Gateway.Agent.Hosting;

/// <summary>The <c>volunteer</c> subcommand: run the agent, or ask a running one for its status or to drain.</summary>
public static class VolunteerCommand
{
    /// <summary>Runs the agent until its host stops (SIGTERM drains first); <paramref name="args"/> are configuration settings.</summary>
    public static async Task<int> RunAgentAsync(string[] args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var app = VolunteerAgentHost.Build(args);
        await using (app.ConfigureAwait(false))
        {
            await ((IHost)app).RunAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>Prints a running agent's status, read from its control listener.</summary>
    public static async Task<int> StatusAsync(Uri control, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(output);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            var text = await http.GetStringAsync(new Uri(control, "status?text"), cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(text).ConfigureAwait(false);
            return 0;
        }
        catch (HttpRequestException ex)
        {
            await output.WriteLineAsync($"volunteer: no agent answers on {control} ({ex.Message})").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Asks a running agent to drain and waits until it stopped.</summary>
    public static async Task<int> DrainAsync(Uri control, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(output);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.PostAsync(new Uri(control, "drain"), null, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"volunteer: drain requested ({(int)response.StatusCode}); waiting for the agent to exit").ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            await output.WriteLineAsync($"volunteer: no agent answers on {control} ({ex.Message})").ConfigureAwait(false);
            return 1;
        }

        // The agent answers until its transfers finished and it stopped listening.
        while (true)
        {
            try
            {
                using var status = await http.GetAsync(new Uri(control, "status"), cancellationToken).ConfigureAwait(false);
                using var document = await JsonDocument.ParseAsync(await status.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
                var active = document.RootElement.GetProperty("customers").GetProperty("active").GetInt32();
                await output.WriteLineAsync($"volunteer: draining, {active} transfers in flight").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                await output.WriteLineAsync("volunteer: drained and stopped").ConfigureAwait(false);
                return 0;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }
    }
}
