using System.Globalization;
using System.Text;

namespace Gateway.Delivery.AccessLog;

/// <summary>One request as the access log writes it.</summary>
public readonly record struct AccessLogEntry(
    string RemoteAddress,
    DateTimeOffset Started,
    string Method,
    string Target,
    string Protocol,
    int Status,
    long? Bytes,
    string? Referer,
    string? UserAgent,
    string? Volunteer,
    string? Outcome,
    TimeSpan Duration,
    string? Attempts = null);

/// <summary>
/// Formats Apache's combined log format extended with the chosen volunteer, the outcome, the time taken and the
/// proxy attempts:
/// <c>LogFormat "%h %l %u %t \"%r\" %&gt;s %b \"%{Referer}i\" \"%{User-Agent}i\" %{BALANCER_WORKER_NAME}e %{GATEWAY_OUTCOME}e %D %{GATEWAY_ATTEMPTS}e"</c>.
/// Tools that parse the combined format read the first nine fields unchanged.
/// </summary>
public static class AccessLogLine
{
    public static string Format(in AccessLogEntry entry)
    {
        var line = new StringBuilder(256);
        line.Append(Field(entry.RemoteAddress)).Append(" - - [")
            .Append(entry.Started.ToUniversalTime().ToString("dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture)).Append(" +0000] \"");
        AppendEscaped(line, entry.Method);
        line.Append(' ');
        AppendEscaped(line, entry.Target);
        line.Append(' ');
        AppendEscaped(line, entry.Protocol);
        line.Append("\" ").Append(entry.Status.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(entry.Bytes is > 0 ? entry.Bytes.Value.ToString(CultureInfo.InvariantCulture) : "-")
            .Append(" \"");
        AppendEscaped(line, entry.Referer ?? "-");
        line.Append("\" \"");
        AppendEscaped(line, entry.UserAgent ?? "-");
        line.Append("\" ").Append(Field(entry.Volunteer)).Append(' ').Append(Field(entry.Outcome)).Append(' ')
            .Append(((long)entry.Duration.TotalMicroseconds).ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(Field(entry.Attempts));
        return line.ToString();
    }

    /// <summary>An unquoted field: '-' when empty, and never a space or control character that would shift the fields after it.</summary>
    private static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "-";
        }

        foreach (var c in value)
        {
            if (c <= ' ' || c == '"' || c >= 0x7f)
            {
                var escaped = new StringBuilder(value.Length + 8);
                AppendEscaped(escaped, value.Replace(' ', '_'));
                return escaped.ToString();
            }
        }

        return value;
    }

    /// <summary>As Apache does: '"' and '\' get a backslash, control and non-ASCII characters become \xhh (of their UTF-8 bytes).</summary>
    private static void AppendEscaped(StringBuilder line, string value)
    {
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                line.Append('\\').Append(c);
            }
            else if (c < ' ' || c == 0x7f)
            {
                line.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else if (c > 0x7f)
            {
                var count = Encoding.UTF8.GetBytes([c], utf8);
                foreach (var b in utf8[..count])
                {
                    line.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
                }
            }
            else
            {
                line.Append(c);
            }
        }
    }
}
