using System.Net;
using System.Net.Sockets;
using Gateway.Core.Torrents;
using Gateway.Feedback.Http;
using Gateway.Feedback.Tracker;
using Gateway.Feedback.Udp;
using Microsoft.Extensions.Options;

namespace Gateway.Feedback.Server;

/// <summary>
/// Runs the tracker on its own ports: its own HTTP server (<see cref="HttpTrackerListener"/>: only the tracker's
/// paths, never the gateway's), a UDP socket for BEP 15, and the expiry sweep. Hosted by the gateway or by the <c>tracker</c> command.
/// </summary>
public sealed partial class TrackerServer(
    HttpTrackerListener http,
    UdpTrackerProtocol udp,
    SwarmTracker tracker,
    IOptions<TrackerOptions> options,
    ILoggerFactory loggerFactory,
    TimeProvider time) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<TrackerServer>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private Socket? _socket;

    /// <summary>The HTTP base URL the tracker listens on (the first one), once started.</summary>
    public Uri? HttpUrl { get; private set; }

    /// <summary>The UDP endpoint, once started; null when UDP is off.</summary>
    public IPEndPoint? UdpEndPoint { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        http.Start(TrackerOptions.ListenEndPoints(settings.Urls));
        var bound = http.EndPoints[0];
        HttpUrl = new Uri($"http://{(bound.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bound.Address}]" : bound.Address.ToString())}:{bound.Port}/");

        if (settings.UdpPort >= 0)
        {
            var endPoint = new IPEndPoint(IPAddress.Parse(settings.UdpAddress), settings.UdpPort);
            _socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            _socket.Bind(endPoint);
            UdpEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            var batch = UdpBatchLoop.IsSupported && settings.UdpBatchSize > 1 ? new UdpBatchLoop(udp, settings.UdpBatchSize, settings.UdpPoll, _logger) : null;
            if (batch is not null)
            {
                // Each wait ends after this long, so a batch loop notices that the tracker is stopping.
                _socket.ReceiveTimeout = 500;
            }

            for (var i = 0; i < settings.UdpThreadCount(Environment.ProcessorCount); i++)
            {
                var socket = _socket;
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var thread = new Thread(() =>
                {
                    try
                    {
                        if (batch is not null)
                        {
                            batch.Run(socket, _stopping.Token);
                        }
                        else
                        {
                            ReceiveLoop(socket, _stopping.Token);
                        }
                    }
                    finally
                    {
                        done.SetResult();
                    }
                })
                { IsBackground = true, Name = "tracker-udp-" + i };
                thread.Start();
                _loops.Add(done.Task);
            }
        }

        _loops.Add(ExpiryLoopAsync(settings.ExpiryInterval, _stopping.Token));
        LogStarted(_logger, HttpUrl, UdpEndPoint);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        await http.StopAsync().ConfigureAwait(false);

        await Task.WhenAll(_loops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Dispose();
        _socket?.Dispose();

        // The listener is the container's to dispose (it may outlive a failed start).
        return ValueTask.CompletedTask;
    }

    // A blocking receive on dedicated threads (`Tracker:UdpThreads`), as opentracker's UDP workers do: no epoll round trip and
    // no thread-pool hop per packet. With the in-memory store the handler completes synchronously; a store that
    // awaits the network (Redis) finishes on the thread pool with its own buffers, so this thread goes on
    // receiving instead of waiting out one round trip per announce.
    private void ReceiveLoop(Socket socket, CancellationToken stoppingToken)
    {
        var packet = new byte[2048];
        var reply = new byte[UdpTrackerProtocol.MaxReplyLength];
        var source = new SocketAddress(socket.AddressFamily);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var received = socket.ReceiveFrom(packet, SocketFlags.None, source);
                var from = PeerAddress.From(source);
                var handling = udp.HandleAsync(packet.AsMemory(0, received), from, source.Buffer[..source.Size], reply, stoppingToken);
                if (!handling.IsCompletedSuccessfully)
                {
                    // The handler still owns this packet and reply: give them to it and take fresh ones.
                    _ = ReplyLaterAsync(socket, handling, reply, source, stoppingToken);
                    packet = new byte[packet.Length];
                    reply = new byte[reply.Length];
                    source = new SocketAddress(socket.AddressFamily);
                    continue;
                }

                var length = handling.Result;
                if (length > 0)
                {
                    socket.SendTo(reply.AsSpan(0, length), SocketFlags.None, source);
                }
            }
            catch (Exception ex) when (stoppingToken.IsCancellationRequested && ex is ObjectDisposedException or SocketException or OperationCanceledException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // ICMP port unreachable from a client that went away, a full buffer: the next packet is another client.
                LogUdpSocketError(_logger, ex.SocketErrorCode);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogUdpFailed(_logger, ex);
            }
        }
    }

    private async Task ReplyLaterAsync(Socket socket, ValueTask<int> handling, byte[] reply, SocketAddress destination, CancellationToken stoppingToken)
    {
        try
        {
            var length = await handling.ConfigureAwait(false);
            if (length > 0)
            {
                await socket.SendToAsync(reply.AsMemory(0, length), SocketFlags.None, destination, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (stoppingToken.IsCancellationRequested && ex is ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }
        catch (SocketException ex)
        {
            LogUdpSocketError(_logger, ex.SocketErrorCode);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogUdpFailed(_logger, ex);
        }
    }

    private async Task ExpiryLoopAsync(TimeSpan every, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, time, stoppingToken).ConfigureAwait(false);
                await tracker.ExpireAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A store that failed this sweep is asked again at the next one.
                LogExpiryFailed(_logger, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tracker listening on {Http} (HTTP) and {Udp} (UDP; empty when off)")]
    private static partial void LogStarted(ILogger logger, Uri http, IPEndPoint? udp);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UDP socket error {Error}")]
    private static partial void LogUdpSocketError(ILogger logger, SocketError error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The UDP tracker failed to handle a packet")]
    private static partial void LogUdpFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiring peers failed: {Reason}")]
    private static partial void LogExpiryFailed(ILogger logger, string reason);
}
