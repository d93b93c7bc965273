using System.Text;

namespace Appliance.Testing.MediaMtx.Runtime;

/// <summary>
/// How MediaMTX turns a runOnDemand string into a program and its arguments on Linux, without a
/// shell: split with go-shellquote's rules, then expand $VAR and ${VAR} in each word (Go's
/// os.Expand) from the command's environment, falling back to the process environment.
/// </summary>
public static class CommandLine
{
    /// <summary>Splits like go-shellquote: blanks separate words; '...' is literal; in "..." a
    /// backslash escapes only $ ` " \ and newline; outside quotes a backslash escapes any
    /// character; backslash-newline joins lines.</summary>
    public static IReadOnlyList<string> Split(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            switch (c)
            {
                case ' ' or '\t' or '\n':
                    if (inWord) words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                    break;
                case '\\':
                    if (++i >= command.Length) throw new FormatException("Unterminated backslash-escape");
                    if (command[i] != '\n') word.Append(command[i]);
                    inWord = inWord || command[i] != '\n';
                    break;
                case '\'':
                    var close = command.IndexOf('\'', i + 1);
                    if (close < 0) throw new FormatException("Unterminated single-quoted string");
                    word.Append(command, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    i = ReadDoubleQuoted(command, i + 1, word);
                    inWord = true;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    // Returns the index of the closing quote.
    private static int ReadDoubleQuoted(string command, int start, StringBuilder word)
    {
        for (var i = start; i < command.Length; i++)
        {
            var c = command[i];
            if (c == '"') return i;
            if (c == '\\' && i + 1 < command.Length && command[i + 1] is '$' or '`' or '"' or '\\' or '\n')
            {
                i++;
                if (command[i] != '\n') word.Append(command[i]);
                continue;
            }
            word.Append(c);
        }
        throw new FormatException("Unterminated double-quoted string");
    }

    /// <summary>Go's os.Expand: $NAME, ${NAME}, one-character special names ($1, $@...);
    /// a "$" not followed by a name stays; bad syntax ("${}", an unclosed "${") is dropped.</summary>
    public static string ExpandEnvironment(string word, Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(lookup);
        var result = new StringBuilder();
        for (var i = 0; i < word.Length; i++)
        {
            if (word[i] != '$' || i + 1 >= word.Length)
            {
                result.Append(word[i]);
                continue;
            }
            var (name, width) = ShellName(word.AsSpan(i + 1));
            if (name.Length > 0) result.Append(lookup(name) ?? "");
            else if (width == 0) result.Append('$');
            i += width;
        }
        return result.ToString();
    }

    private static (string Name, int Width) ShellName(ReadOnlySpan<char> s)
    {
        if (s[0] == '{')
        {
            if (s.Length > 2 && IsSpecial(s[1]) && s[2] == '}') return (s[1].ToString(), 3);
            for (var i = 1; i < s.Length; i++)
                if (s[i] == '}') return i == 1 ? ("", 2) : (s[1..i].ToString(), i + 1);
            return ("", 1);
        }
        if (IsSpecial(s[0])) return (s[0].ToString(), 1);
        var length = 0;
        while (length < s.Length && (char.IsAsciiLetterOrDigit(s[length]) || s[length] == '_')) length++;
        return (s[..length].ToString(), length);
    }

    private static bool IsSpecial(char c) => c is '*' or '#' or '$' or '@' or '!' or '?' or '-' || char.IsAsciiDigit(c);
}
