namespace Gateway.Core.Torrents;

/// <summary>Piece lengths: powers of two between 16 KiB and 16 MiB, chosen by total size when not given.</summary>
public static class TorrentPieceLength
{
    public const int Minimum = 16 * 1024;
    public const int Maximum = 16 * 1024 * 1024;

    private const long MiB = 1024 * 1024;

    private static readonly (long UpTo, int Length)[] Table =
    [
        (50 * MiB, 32 * 1024),
        (150 * MiB, 64 * 1024),
        (350 * MiB, 128 * 1024),
        (512 * MiB, 256 * 1024),
        (1024 * MiB, 512 * 1024),
        (2048 * MiB, 1024 * 1024),
    ];

    /// <summary>
    /// The size table of mktorrent's automatic mode (and of rtorrent-era tools): 32 KiB up to 50 MiB, doubling
    /// at 150 MiB, 350 MiB, 512 MiB, 1 GiB and 2 GiB to 2 MiB; beyond that one more doubling per doubling of
    /// size from 8 GiB, up to 16 MiB, so huge images keep their piece list (20 bytes a piece) under ~80 KB.
    /// </summary>
    public static int For(long totalLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalLength);
        foreach (var (upTo, length) in Table)
        {
            if (totalLength <= upTo)
            {
                return length;
            }
        }

        long piece = 2 * MiB;
        for (var limit = 8192 * MiB; totalLength > limit && piece < Maximum; limit *= 2)
        {
            piece *= 2;
        }

        return (int)piece;
    }

    public static bool IsValid(long pieceLength) =>
        pieceLength is >= Minimum and <= Maximum && long.IsPow2(pieceLength);
}
