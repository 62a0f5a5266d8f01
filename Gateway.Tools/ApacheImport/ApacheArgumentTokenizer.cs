using System.Text;

namespace Gateway.Tools.ApacheImport;

/// <summary>Splits a directive line into words as Apache does: whitespace separates, "double" or 'single' quotes group, '\' escapes a quote.</summary>
public static class ApacheArgumentTokenizer
{
    public static List<string> Split(string line, ConfigLocation at)
    {
        ArgumentNullException.ThrowIfNull(line);
        var words = new List<string>();
        var i = 0;
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i]))
            {
                i++;
                continue;
            }

            var word = new StringBuilder();
            var quote = line[i] is '"' or '\'' ? line[i] : '\0';
            if (quote != '\0')
            {
                i++;
                var closed = false;
                while (i < line.Length)
                {
                    if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] == quote)
                    {
                        word.Append(quote);
                        i += 2;
                        continue;
                    }

                    if (line[i] == quote)
                    {
                        closed = true;
                        i++;
                        break;
                    }

                    word.Append(line[i++]);
                }

                if (!closed)
                {
                    throw new ApacheImportException($"{at}: unterminated {quote} quote.");
                }

                // A section's closing '>' may follow the quote directly: <Proxy "balancer://x">.
                while (i < line.Length && !char.IsWhiteSpace(line[i]))
                {
                    word.Append(line[i++]);
                }
            }
            else
            {
                while (i < line.Length && !char.IsWhiteSpace(line[i]))
                {
                    word.Append(line[i++]);
                }
            }

            words.Add(word.ToString());
        }

        return words;
    }
}
