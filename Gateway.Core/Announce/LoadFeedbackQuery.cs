using System.Globalization;
using System.Text;

namespace Gateway.Core.Announce;

/// <summary>
/// The one parser and formatter of the load extension parameters (<c>x_http</c>, <c>x_peers</c>, <c>x_up</c>,
/// <c>x_down</c>, <c>x_cap</c>, <c>x_http_left</c>): the tracker reads them with it, and announcing agents write them with it.
/// </summary>
public static class LoadFeedbackQuery
{
    /// <summary>What <see cref="TryApply"/> made of one query parameter.</summary>
    public enum Result
    {
        /// <summary>Not a load parameter; the caller handles it.</summary>
        NotFeedback,

        Applied,

        /// <summary>A load parameter whose value is not a non-negative whole number in range.</summary>
        Invalid,
    }

    /// <summary>If <paramref name="name"/> is a load parameter, parses <paramref name="value"/> into <paramref name="feedback"/>.</summary>
    public static Result TryApply(ReadOnlySpan<char> name, ReadOnlySpan<char> value, ref LoadFeedback feedback)
    {
        if (name.Length < 3 || name[0] != 'x' || name[1] != '_')
        {
            return Result.NotFeedback;
        }

        switch (name[2..])
        {
            case "http":
                return TryInt(value, out var http) ? Set(ref feedback, feedback with { ActiveTransfers = http }) : Result.Invalid;
            case "peers":
                return TryInt(value, out var peers) ? Set(ref feedback, feedback with { Peers = peers }) : Result.Invalid;
            case "up":
                return TryLong(value, out var up) ? Set(ref feedback, feedback with { UploadBytesPerSecond = up }) : Result.Invalid;
            case "down":
                return TryLong(value, out var down) ? Set(ref feedback, feedback with { DownloadBytesPerSecond = down }) : Result.Invalid;
            case "cap":
                return TryLong(value, out var cap) ? Set(ref feedback, feedback with { CapacityBytesPerSecond = cap }) : Result.Invalid;
            case "http_left":
                return TryLong(value, out var left) ? Set(ref feedback, feedback with { CustomerBytesLeft = left }) : Result.Invalid;
            default:
                return Result.NotFeedback;
        }
    }

    /// <summary>The parameters for <paramref name="feedback"/>, each as <c>&amp;x_name=value</c>, for an announce URL.</summary>
    public static string Format(LoadFeedback feedback)
    {
        var text = new StringBuilder();
        Append(text, "x_http", feedback.ActiveTransfers);
        Append(text, "x_peers", feedback.Peers);
        Append(text, "x_up", feedback.UploadBytesPerSecond);
        Append(text, "x_down", feedback.DownloadBytesPerSecond);
        Append(text, "x_cap", feedback.CapacityBytesPerSecond);
        Append(text, "x_http_left", feedback.CustomerBytesLeft);
        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, long? value)
    {
        if (value is { } v)
        {
            text.Append('&').Append(name).Append('=').Append(v.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static Result Set(ref LoadFeedback feedback, LoadFeedback next)
    {
        feedback = next;
        return Result.Applied;
    }

    private static bool TryInt(ReadOnlySpan<char> value, out int result) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result);

    private static bool TryLong(ReadOnlySpan<char> value, out long result) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result);
}
