namespace Gateway.Core.Hosting;

/// <summary><c>--config FILE</c>: a JSON settings file on the command line of every host (gateway, tracker, agent, client proxy).</summary>
public static class ConfigFileArgument
{
    /// <summary>The arguments without <c>--config FILE</c>, and the file (shared with the volunteer agent's host).</summary>
    public static string[] Split(string[] args, out string? configFile)
    {
        configFile = null;
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length)
            {
                configFile = args[++i];
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        return [.. rest];
    }
}
