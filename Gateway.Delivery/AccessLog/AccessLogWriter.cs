using System.Diagnostics.Metrics;
using System.Text;
using System.Threading.Channels;
using Gateway.Core.Telemetry;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.AccessLog;

/// <summary>
/// Writes access-log lines in the background: a request only queues its line (never waits on the disk);
/// when the queue is full the line is dropped and counted in <c>gateway.accesslog.dropped</c>.
/// </summary>
public sealed partial class AccessLogWriter : BackgroundService
{
    private readonly Channel<string> _lines;
    private readonly AccessLogOptions _options;
    private readonly Counter<long> _dropped;
    private readonly ILogger<AccessLogWriter> _logger;

    public AccessLogWriter(IOptions<AccessLogOptions> options, IMeterFactory meters, ILogger<AccessLogWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        _options = options.Value;
        _logger = logger;
        _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(_options.QueueLength)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });
        _dropped = meters.Create(GatewayTelemetry.MeterName).CreateCounter<long>("gateway.accesslog.dropped", "{line}", "Access-log lines dropped because the writer fell behind");
    }

    public void Enqueue(string line)
    {
        if (!_lines.Writer.TryWrite(line))
        {
            _dropped.Add(1);
        }
    }

    /// <summary>Writes what is queued, then stops.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _lines.Writer.TryComplete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var toStdout = _options.Path == AccessLogOptions.StandardOutput;
        var stream = toStdout
            ? Console.OpenStandardOutput()
            : new FileStream(Path.GetFullPath(_options.Path), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: true);
        var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = false, NewLine = "\n" };
        await using (writer.ConfigureAwait(false))
        {
            try
            {
                // Not stoppingToken: StopAsync completes the queue, and the lines already in it are still written.
                while (await _lines.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    while (_lines.Reader.TryRead(out var line))
                    {
                        await writer.WriteLineAsync(line).ConfigureAwait(false);
                    }

                    await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (IOException ex)
            {
                LogWriteFailed(_logger, _options.Path, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing the access log to {Path} failed ({Reason}); no more access-log lines are written")]
    private static partial void LogWriteFailed(ILogger logger, string path, string reason);
}
