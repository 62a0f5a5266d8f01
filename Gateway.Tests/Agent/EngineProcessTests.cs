using System.Text.Json;
using Gateway.Agent.Engine;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Agent;

/// <summary>Waiting for a starting engine: "not yet" answers are waited out, a broken engine is reported.</summary>
public sealed class EngineProcessTests : IDisposable
{
    private static readonly Uri RpcUrl = new("http://127.0.0.1:9/jsonrpc");
    private readonly EngineProcess _process = new("test-engine", NullLogger.Instance);

    public EngineProcessTests()
    {
        // Any long-running process stands in for the engine: the probe below plays its RPC.
        _process.Start("/bin/sleep", ["30"], "install coreutils");
    }

    public void Dispose()
    {
        _process.Kill("test over");
        _process.Dispose();
    }

    [Fact]
    public async Task An_engine_that_first_refuses_then_answers_empty_or_cut_short_is_waited_for_until_it_answers()
    {
        var answers = new Queue<Exception?>([new HttpRequestException("refused"), new JsonException("empty answer"), new IOException("cut short"), null]);
        var calls = 0;
        await _process.WaitUntilAnswersAsync(
            _ =>
            {
                calls++;
                var next = answers.Dequeue();
                return next is null ? Task.CompletedTask : Task.FromException(next);
            },
            RpcUrl,
            CancellationToken.None);
        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task Any_other_failure_of_the_probe_is_not_waited_out()
    {
        var calls = 0;
        await Assert.ThrowsAsync<InvalidCastException>(() => _process.WaitUntilAnswersAsync(
            _ =>
            {
                calls++;
                throw new InvalidCastException("a bug, not a starting engine");
            },
            RpcUrl,
            CancellationToken.None));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task An_engine_that_exited_is_reported_with_its_url_instead_of_being_waited_for()
    {
        _process.Kill("playing a crashed engine");
        Assert.True(await _process.WaitForExitAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _process.WaitUntilAnswersAsync(
            _ => Task.FromException(new JsonException("empty answer")),
            RpcUrl,
            CancellationToken.None));
        Assert.Contains(RpcUrl.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("exited: True", error.Message, StringComparison.Ordinal);
    }
}
