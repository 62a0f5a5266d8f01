using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Core.Announce;
using Gateway.Feedback.Tracker;
using Microsoft.Extensions.Options;

namespace Gateway.Feedback.Http;

/// <summary>
/// The tracker's HTTP/1.1 server on raw sockets, as opentracker has one: an announce is one small GET whose reply
/// is a few hundred bytes, and real clients open a TCP connection for each, so the cost that matters is per
/// connection. A blocking accept thread per core takes a connection and serves it inline (the request has
/// usually arrived by then: receive, answer, send and close complete without a thread-pool hop or epoll
/// registration); a connection that has to wait continues asynchronously under a deadline. It reads only the
/// request line and the <c>Connection</c> header, bounds the head (<see cref="MaxHeadLength"/>), the time a
/// client may take (<c>Tracker:HttpRequestTimeout</c>, for the whole head, so slow senders cannot hold a
/// connection open) and the connections at once (<c>Tracker:HttpMaxConnections</c>).
/// </summary>
public sealed partial class HttpTrackerListener(HttpTrackerFrontend frontend, IOptions<TrackerOptions> options, TimeProvider time, ILogger<HttpTrackerListener> logger) : IDisposable
{
    /// <summary>Longest request head accepted: a query of <see cref="AnnounceParser.MaxQueryLength"/> and ordinary headers.</summary>
    public const int MaxHeadLength = 8192;

    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Socket> _listeners = [];
    private readonly List<Thread> _threads = [];
    private int _open;
    private int _disposed;

    /// <summary>Connections accepted and not yet closed.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>The bound endpoints, once started.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => [.. _listeners.Select(l => (IPEndPoint)l.LocalEndPoint!)];

    /// <summary>Binds every endpoint and starts its accept threads.</summary>
    public void Start(IEnumerable<IPEndPoint> endPoints)
    {
        ArgumentNullException.ThrowIfNull(endPoints);
        foreach (var endPoint in endPoints)
        {
            var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (OperatingSystem.IsLinux())
            {
                // TCP_DEFER_ACCEPT (as nginx's "deferred"): accept wakes only once the request has arrived, so
                // nearly every connection is served inline without waiting; a silent connection never reaches us.
                listener.SetRawSocketOption(6, 9, BitConverter.GetBytes((int)Math.Ceiling(options.Value.HttpRequestTimeout.TotalSeconds)));
            }

            listener.Bind(endPoint);
            listener.Listen(1024);
            _listeners.Add(listener);
            for (var i = 0; i < Math.Max(1, Environment.ProcessorCount); i++)
            {
                var thread = new Thread(() => AcceptLoop(listener)) { IsBackground = true, Name = "tracker-http-" + i };
                thread.Start();
                _threads.Add(thread);
            }
        }
    }

    /// <summary>Closes the listeners (the accept threads end) and cancels connections still waiting.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping.Cancel();
        _stopping.Dispose();
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
    }

    private void AcceptLoop(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = listener.Accept();
            }
            catch (ObjectDisposedException)
            {
                // Stopped, or disposed after a failed start.
                return;
            }
            catch (SocketException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // EMFILE, a connection reset before it was accepted: the next one may be fine.
                LogAcceptFailed(logger, ex.SocketErrorCode);
                continue;
            }

            if (Interlocked.Increment(ref _open) > options.Value.HttpMaxConnections)
            {
                // Full: refuse at once rather than queue; clients retry at their next interval.
                Interlocked.Decrement(ref _open);
                socket.Dispose();
                continue;
            }

            // Runs inline until it has to wait; the returned task is observed inside (it never faults).
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var settings = options.Value;
        var head = ArrayPool<byte>.Shared.Rent(MaxHeadLength);
        var output = new ArrayBufferWriter<byte>(512);
        ITimer? deadline = null;
        try
        {
            var filled = 0;
            while (true)
            {
                // Receive until the buffer holds a whole head; the deadline starts at the first wait.
                int end;
                while ((end = head.AsSpan(0, filled).IndexOf(HeadEnd)) < 0)
                {
                    if (filled == MaxHeadLength)
                    {
                        await SendAsync(socket, Status(output, 431, keepAlive: false), settings, ref deadline).ConfigureAwait(false);
                        deadline ??= Arm(socket, settings);
                        await DrainAsync(socket, head).ConfigureAwait(false);
                        return;
                    }

                    var receiving = socket.ReceiveAsync(head.AsMemory(filled, MaxHeadLength - filled), SocketFlags.None, _stopping.Token);
                    if (!receiving.IsCompleted)
                    {
                        deadline ??= Arm(socket, settings);
                    }

                    var received = await receiving.ConfigureAwait(false);
                    if (received == 0)
                    {
                        return;
                    }

                    filled += received;
                }

                var keepAlive = await AnswerAsync(socket, head.AsMemory(0, end + HeadEnd.Length), output).ConfigureAwait(false);
                await SendAsync(socket, output.WrittenMemory, settings, ref deadline).ConfigureAwait(false);
                if (keepAlive is null)
                {
                    deadline ??= Arm(socket, settings);
                    await DrainAsync(socket, head).ConfigureAwait(false);
                    return;
                }

                if (keepAlive == false)
                {
                    return;
                }

                // Keep-alive: what followed the head (a pipelined request) stays; the next head gets a fresh deadline.
                var consumed = end + HeadEnd.Length;
                head.AsSpan(consumed, filled - consumed).CopyTo(head);
                filled -= consumed;
                output.ResetWrittenCount();
                deadline?.Change(settings.HttpRequestTimeout, Timeout.InfiniteTimeSpan);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away, its deadline passed, or the tracker is stopping: nothing to answer.
        }
        catch (Exception ex)
        {
            LogConnectionFailed(logger, ex);
        }
        finally
        {
            deadline?.Dispose();
            socket.Dispose();
            ArrayPool<byte>.Shared.Return(head);
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>
    /// Parses the head (request line, <c>Connection</c>, no body) and writes the whole response; true to keep the
    /// connection, false to close it, null to close it after a malformed request whose rest may still be arriving.
    /// </summary>
    private async ValueTask<bool?> AnswerAsync(Socket socket, ReadOnlyMemory<byte> head, ArrayBufferWriter<byte> output)
    {
        // A GET has no body and this server never reads one: refuse rather than misread it as the next request.
        if (!RequestHead.TryParse(head.Span, out var request) || request.HasBody)
        {
            Status(output, 400, keepAlive: false);
            return null;
        }

        var remote = ((IPEndPoint)socket.RemoteEndPoint!).Address;
        var body = new ArrayBufferWriter<byte>(512);
        int status;
        var targetLength = request.TargetLength;
        var target = ArrayPool<char>.Shared.Rent(targetLength);
        try
        {
            Encoding.Latin1.GetChars(head.Span.Slice(request.TargetStart, targetLength), target);
            var handling = frontend.HandleAsync(request.IsGet, target.AsSpan(0, targetLength), remote, body, _stopping.Token);
            status = handling.IsCompletedSuccessfully ? handling.Result : await handling.ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(target);
        }

        if (status != 200)
        {
            Status(output, status, request.KeepAlive);
            return request.KeepAlive;
        }

        WriteHead(output, 200, body.WrittenCount, request.KeepAlive);
        output.Write(body.WrittenSpan);
        return request.KeepAlive;
    }

    private ITimer Arm(Socket socket, TrackerOptions settings) =>
        time.CreateTimer(static s => ((Socket)s!).Dispose(), socket, settings.HttpRequestTimeout, Timeout.InfiniteTimeSpan);

    // Closing with unread bytes makes the kernel send a reset, which can destroy the error reply before the client
    // reads it: say we are done, then read (a bounded amount, under the deadline) until the client closes too.
    private async Task DrainAsync(Socket socket, byte[] buffer)
    {
        socket.Shutdown(SocketShutdown.Send);
        var drained = 0;
        int read;
        while (drained < 64 * 1024 && (read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token).ConfigureAwait(false)) > 0)
        {
            drained += read;
        }
    }

    private static ReadOnlyMemory<byte> Status(ArrayBufferWriter<byte> output, int status, bool keepAlive)
    {
        output.ResetWrittenCount();
        WriteHead(output, status, 0, keepAlive);
        return output.WrittenMemory;
    }

    private static void WriteHead(ArrayBufferWriter<byte> output, int status, int contentLength, bool keepAlive)
    {
        output.Write(status switch
        {
            200 => "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"u8,
            404 => "HTTP/1.1 404 Not Found\r\n"u8,
            405 => "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n"u8,
            431 => "HTTP/1.1 431 Request Header Fields Too Large\r\n"u8,
            _ => "HTTP/1.1 400 Bad Request\r\n"u8,
        });
        output.Write("Content-Length: "u8);
        var span = output.GetSpan(11);
        contentLength.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
        output.Write(keepAlive ? "\r\nConnection: keep-alive\r\n\r\n"u8 : "\r\nConnection: close\r\n\r\n"u8);
    }

    private ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> data, TrackerOptions settings, ref ITimer? deadline)
    {
        var sending = socket.SendAsync(data, SocketFlags.None, _stopping.Token);

        // A client that does not read its reply is held to the same deadline as one that does not send.
        if (!sending.IsCompleted)
        {
            deadline ??= Arm(socket, settings);
            return FinishSendAsync(socket, sending.AsTask(), data, _stopping.Token);
        }

        var sent = sending.GetAwaiter().GetResult();
        if (sent == data.Length)
        {
            return ValueTask.CompletedTask;
        }

        deadline ??= Arm(socket, settings);
        return SendRestAsync(socket, data[sent..], _stopping.Token);
    }

    private static async ValueTask FinishSendAsync(Socket socket, Task<int> sending, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var sent = await sending.ConfigureAwait(false);
        await SendRestAsync(socket, data[sent..], cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask SendRestAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (sent < data.Length)
        {
            sent += await socket.SendAsync(data[sent..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepting a tracker connection failed: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, SocketError error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A tracker HTTP connection failed")]
    private static partial void LogConnectionFailed(ILogger logger, Exception exception);
}
