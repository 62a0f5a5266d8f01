using System.Text.Json;

namespace Gateway.Agent.Hosting;

/// <summary>The <c>volunteer</c> subcommand: run the agent, or ask a running one for its status or to drain.</summary>
public static class VolunteerCommand
{
    public const string Usage = """
          volunteer [--config FILE] [--Volunteer:Key=value ...]   run a volunteer agent (docs/volunteer.md)
          volunteer status [--control http://127.0.0.1:6980]      a running agent's torrents, peers, rates
          volunteer drain  [--control http://127.0.0.1:6980]      finish transfers in flight, announce stopped, exit
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        if (args.Length > 0 && args[0] is "status" or "drain")
        {
            var control = new Uri("http://127.0.0.1:6980/");
            for (var i = 1; i + 1 < args.Length; i++)
            {
                if (args[i] == "--control" && !Uri.TryCreate(args[i + 1].TrimEnd('/') + "/", UriKind.Absolute, out control))
                {
                    await output.WriteLineAsync($"volunteer: --control '{args[i + 1]}' is not a URL").ConfigureAwait(false);
                    return 2;
                }
            }

            return args[0] == "status"
                ? await StatusAsync(control!, output, cancellationToken).ConfigureAwait(false)
                : await DrainAsync(control!, output, cancellationToken).ConfigureAwait(false);
        }

        var app = VolunteerAgentHost.Build(args);
        await using (app.ConfigureAwait(false))
        {
            await app.RunAsync().ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<int> StatusAsync(Uri control, TextWriter output, CancellationToken cancellationToken)
    {
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

    private static async Task<int> DrainAsync(Uri control, TextWriter output, CancellationToken cancellationToken)
    {
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
