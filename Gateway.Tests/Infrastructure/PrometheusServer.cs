using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c>, installed by ./test.sh) on a free loopback port with its
/// own storage folder, started with a test's config and stopped by its PID.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly StringBuilder _output = new();

    private PrometheusServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Url = new Uri($"http://127.0.0.1:{port}/");
        Client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Url { get; }

    public HttpClient Client { get; }

    /// <summary>What Prometheus wrote to stdout and stderr so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Writes <paramref name="configYaml"/> (and the given extra files beside it) and starts Prometheus on it.</summary>
    public static async Task<PrometheusServer> StartAsync(string configYaml, IReadOnlyDictionary<string, string>? files = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "gw-tests", "prometheus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config, configYaml);
        foreach (var (name, text) in files ?? new Dictionary<string, string>())
        {
            await File.WriteAllTextAsync(Path.Combine(folder, name), text);
        }

        var port = FreeLoopbackPort();
        var info = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        foreach (var argument in new[]
        {
            $"--config.file={config}",
            $"--storage.tsdb.path={Path.Combine(folder, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start prometheus; is it installed? (./test.sh installs it)");
        var server = new PrometheusServer(process, folder, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually.HoldsAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"prometheus exited with {process.ExitCode}: {server.Output}");
                    }

                    try
                    {
                        using var ready = await server.Client.GetAsync("-/ready");
                        return ready.StatusCode == HttpStatusCode.OK;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(30),
                () => server.Output);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>
    /// Waits (bounded) until every query returns data, running <paramref name="eachRound"/> (load, say) before each
    /// round of queries; fails naming the queries still without data.
    /// </summary>
    public async Task AllHaveDataAsync(IEnumerable<string> queries, TimeSpan within, Func<Task>? eachRound = null)
    {
        string[] missing = [.. queries];
        await Eventually.HoldsAsync(
            async () =>
            {
                if (eachRound is not null)
                {
                    await eachRound();
                }

                var empty = new List<string>();
                foreach (var query in missing)
                {
                    if ((await QueryAsync(query)).Length == 0)
                    {
                        empty.Add(query);
                    }
                }

                missing = [.. empty];
                return missing.Length == 0;
            },
            within,
            () => "queries without data:\n" + string.Join('\n', missing) + "\nprometheus: " + Output);
    }

    /// <summary>Runs an instant query; returns the result array (empty when nothing matched). Fails the test on a query error.</summary>
    public async Task<JsonElement[]> QueryAsync(string promQl)
    {
        using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("query", promQl)]);
        using var response = await Client.PostAsync("api/v1/query", content);
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.GetProperty("status").GetString() == "success", $"query failed: {promQl}\n{body}");
        var data = json.RootElement.GetProperty("data");
        return data.GetProperty("resultType").GetString() is "vector" or "matrix"
            ? [.. data.GetProperty("result").EnumerateArray().Select(e => e.Clone())]
            : [data.GetProperty("result").Clone()];
    }

    public async Task<JsonDocument> GetJsonAsync(string path) => JsonDocument.Parse(await Client.GetStringAsync(path));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still closing must not fail the test; the temp folder is cleaned by the OS.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreeLoopbackPort()
    {
        // Prometheus takes a port number, not port 0: ask the OS for a free one and hand it over.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
