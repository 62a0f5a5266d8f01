using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gateway.Core.Torrents;
using Gateway.Feedback.Http;

namespace Gateway.Feedback.Udp;

/// <summary>
/// The UDP receive loop on Linux: <c>recvmmsg</c> takes every datagram waiting (up to <c>Tracker:UdpBatchSize</c>) in one
/// system call and <c>sendmmsg</c> sends their replies in one, where <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, System.Net.SocketAddress)"/>
/// costs two calls per announce. Under load the queue is rarely empty, so the per-packet kernel entry cost
/// (most of a UDP announce's CPU) is shared by the batch. Under a steady stream it polls the socket for up to
/// <c>Tracker:UdpPoll</c> before sleeping (<see cref="PollGate"/>). Buffers are pinned once per loop; nothing is
/// allocated per packet.
/// </summary>
internal sealed unsafe partial class UdpBatchLoop(UdpTrackerProtocol udp, int batch, TimeSpan poll, ILogger logger)
{
    private const int PacketLength = 2048;
    private const int NameLength = 128;
    private const int MsgWaitForOne = 0x10000;
    private const int MsgDontWait = 0x40;
    private const int EAgain = 11;
    private const int EIntr = 4;

    /// <summary>Size of the <c>mmsghdr</c> this loop passes (64 on 64-bit Linux; a test holds it to that).</summary>
    internal static int MessageHeaderSize => sizeof(MessageHeader);

    /// <summary>True where this loop can run (64-bit Linux: the <c>mmsghdr</c> layout below).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>
    /// Serves <paramref name="socket"/> until <paramref name="stoppingToken"/> is cancelled. The socket's receive
    /// timeout bounds each wait so the loop sees the cancellation; its handle is held (AddRef) so the descriptor
    /// cannot be closed and reused under a running call.
    /// </summary>
    public void Run(Socket socket, CancellationToken stoppingToken)
    {
        var added = false;
        socket.SafeHandle.DangerousAddRef(ref added);
        var packets = GC.AllocateArray<byte>(batch * PacketLength, pinned: true);
        var replies = GC.AllocateArray<byte>(batch * UdpTrackerProtocol.MaxReplyLength, pinned: true);
        var names = GC.AllocateArray<byte>(batch * NameLength, pinned: true);
        var receiveVectors = GC.AllocateArray<IoVector>(batch, pinned: true);
        var sendVectors = GC.AllocateArray<IoVector>(batch, pinned: true);
        var received = GC.AllocateArray<MessageHeader>(batch, pinned: true);
        var outgoing = GC.AllocateArray<MessageHeader>(batch, pinned: true);
        try
        {
            var fd = (int)socket.SafeHandle.DangerousGetHandle();
            var packetsAt = (byte*)Unsafe.AsPointer(ref packets[0]);
            var repliesAt = (byte*)Unsafe.AsPointer(ref replies[0]);
            var namesAt = (byte*)Unsafe.AsPointer(ref names[0]);
            var receiveVectorsAt = (IoVector*)Unsafe.AsPointer(ref receiveVectors[0]);
            var sendVectorsAt = (IoVector*)Unsafe.AsPointer(ref sendVectors[0]);
            var receivedAt = (MessageHeader*)Unsafe.AsPointer(ref received[0]);
            var outgoingAt = (MessageHeader*)Unsafe.AsPointer(ref outgoing[0]);
            for (var i = 0; i < batch; i++)
            {
                receiveVectors[i] = new IoVector { Base = packetsAt + (i * PacketLength), Length = PacketLength };
            }

            var gate = new PollGate((long)(poll.TotalSeconds * Stopwatch.Frequency));
            while (!stoppingToken.IsCancellationRequested)
            {
                for (var i = 0; i < batch; i++)
                {
                    received[i] = new MessageHeader { Name = namesAt + (i * NameLength), NameLength = NameLength, Vectors = receiveVectorsAt + i, VectorCount = 1 };
                }

                var count = Receive(fd, receivedAt, gate);
                if (count < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is not (EAgain or EIntr))
                    {
                        LogReceiveFailed(logger, errno);
                    }

                    continue;
                }

                var replying = 0;
                for (var i = 0; i < count; i++)
                {
                    // Shutting the socket down wakes a waiting call with an empty message and no address.
                    if (received[i].NameLength < 16)
                    {
                        continue;
                    }

                    var name = names.AsMemory(i * NameLength, (int)received[i].NameLength);
                    var packet = packets.AsMemory(i * PacketLength, (int)received[i].Received);
                    var reply = replies.AsMemory(i * UdpTrackerProtocol.MaxReplyLength, UdpTrackerProtocol.MaxReplyLength);
                    var length = Handle(packet, name, reply, stoppingToken);
                    if (length > 0)
                    {
                        sendVectors[replying] = new IoVector { Base = repliesAt + (i * UdpTrackerProtocol.MaxReplyLength), Length = (nuint)length };
                        outgoing[replying] = new MessageHeader { Name = namesAt + (i * NameLength), NameLength = received[i].NameLength, Vectors = sendVectorsAt + replying, VectorCount = 1 };
                        replying++;
                    }
                }

                Send(fd, outgoingAt, replying);
            }
        }
        finally
        {
            // The kernel reads these through raw pointers only: without a reference to the arrays until here,
            // the GC may free a pinned array whose last managed use is above (the receive vectors are one) and
            // recvmmsg then fails with EFAULT on freed memory, or writes into memory reused by something else.
            GC.KeepAlive(packets);
            GC.KeepAlive(replies);
            GC.KeepAlive(names);
            GC.KeepAlive(receiveVectors);
            GC.KeepAlive(sendVectors);
            GC.KeepAlive(received);
            GC.KeepAlive(outgoing);
            if (added)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>Waits for datagrams: polls first while the gate says a stream is on, then sleeps in the kernel.</summary>
    private int Receive(int fd, MessageHeader* messages, PollGate gate)
    {
        var started = Stopwatch.GetTimestamp();
        var count = -1;
        if (gate.ShouldPoll)
        {
            var until = started + gate.PollTicks;
            do
            {
                count = RecvMmsg(fd, messages, (uint)batch, MsgWaitForOne | MsgDontWait, null);
                if (count >= 0 || Marshal.GetLastPInvokeError() != EAgain)
                {
                    break;
                }

                Thread.SpinWait(20);
            }
            while (Stopwatch.GetTimestamp() < until);
        }

        if (count < 0)
        {
            count = RecvMmsg(fd, messages, (uint)batch, MsgWaitForOne, null);
        }

        gate.Observe(Stopwatch.GetTimestamp() - started);
        return count;
    }

    private int Handle(ReadOnlyMemory<byte> packet, ReadOnlyMemory<byte> name, Memory<byte> reply, CancellationToken stoppingToken)
    {
        try
        {
            var handling = udp.HandleAsync(packet, PeerAddress.FromLinuxSocketAddress(name.Span), name, reply, stoppingToken);
            return handling.IsCompletedSuccessfully ? handling.Result : handling.AsTask().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPacketFailed(logger, ex);
            return 0;
        }
    }

    private void Send(int fd, MessageHeader* messages, int count)
    {
        var done = 0;
        while (done < count)
        {
            var sent = SendMmsg(fd, messages + done, (uint)(count - done), 0);
            if (sent < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EIntr)
                {
                    continue;
                }

                // A full buffer or an unreachable client: drop that reply (the client asks again), send the rest.
                LogSendFailed(logger, errno);
                sent = 1;
            }

            done += sent;
        }
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int RecvMmsg(int fd, MessageHeader* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int SendMmsg(int fd, MessageHeader* messages, uint count, int flags);

    [LoggerMessage(Level = LogLevel.Debug, Message = "recvmmsg failed with errno {Errno}")]
    private static partial void LogReceiveFailed(ILogger logger, int errno);

    [LoggerMessage(Level = LogLevel.Debug, Message = "sendmmsg failed with errno {Errno}")]
    private static partial void LogSendFailed(ILogger logger, int errno);

    [LoggerMessage(Level = LogLevel.Error, Message = "The UDP tracker failed to handle a packet")]
    private static partial void LogPacketFailed(ILogger logger, Exception exception);

    /// <summary><c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary><c>struct mmsghdr</c> (a 56-byte <c>struct msghdr</c>, then the received length), 64-bit Linux layout: 64 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    private struct MessageHeader
    {
        [FieldOffset(0)]
        public byte* Name;

        [FieldOffset(8)]
        public uint NameLength;

        [FieldOffset(16)]
        public IoVector* Vectors;

        [FieldOffset(24)]
        public nuint VectorCount;

        [FieldOffset(32)]
        public void* Control;

        [FieldOffset(40)]
        public nuint ControlLength;

        [FieldOffset(48)]
        public int Flags;

        [FieldOffset(56)]
        public uint Received;
    }
}
