using System.Text;
using System.Text.Json;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Data;

/// <summary>
/// Reads JSONL training data (chat, prompt/completion, text/label, text pair/label, tokens/tags) line by line, as a
/// stream: each non-blank line becomes an example or exactly one <see cref="DataIssue"/> (the first problem found),
/// never an exception, whatever the bytes are. A file's format is the first recognisable line's (or
/// <see cref="JsonlReaderOptions.Format"/>); every later line is read as that format, so a stray line of another shape
/// is reported with the key it lacks.
/// </summary>
internal static class JsonlReader
{
    /// <summary>How every JSON text of user data is parsed: no duplicate keys, bounded depth.</summary>
    internal static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = JsonFields.MaxDepth };
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads a file the user gave (regular files only); errors opening it are exceptions, errors in it are entries.</summary>
    public static IEnumerable<JsonlEntry> ReadFile(string path, JsonlReaderOptions? options = null)
    {
        using var stream = UserFile.OpenRead(path, "JSONL data file");
        foreach (var entry in Read(stream, Path.GetFileName(path), options)) yield return entry;
    }

    /// <summary>Reads a stream (a file, stdin); <paramref name="file"/> names it in issues.</summary>
    public static IEnumerable<JsonlEntry> Read(Stream stream, string file, JsonlReaderOptions? options = null)
    {
        options ??= new JsonlReaderOptions();
        var format = options.Format;
        foreach (var line in new CappedLineReader(stream, options.MaxLineBytes).Lines())
        {
            if (line.Bytes is null)
            {
                yield return Issue(file, line.Number, "", DataIssueKind.LineTooLong,
                    $"the line is {line.Length:N0} bytes, over the limit of {options.MaxLineBytes:N0}; one example per line, each well under it");
                continue;
            }
            var bytes = line.Bytes.AsSpan();
            if (line.Number == 1 && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
            if (bytes.EndsWith("\r"u8)) bytes = bytes[..^1];
            if (bytes.Trim(" \t\r"u8).IsEmpty) continue;
            var entry = ParseLine(bytes, file, line.Number, options, ref format);
            yield return entry;
        }
    }

    static JsonlEntry ParseLine(ReadOnlySpan<byte> bytes, string file, int line, JsonlReaderOptions options, ref JsonlFormat? format)
    {
        string text;
        try { text = StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException e)
        {
            return Issue(file, line, "", DataIssueKind.InvalidUtf8, $"the line is not valid UTF-8 (bad byte at offset {e.Index}); save the file as UTF-8");
        }
        JsonDocument document;
        try { document = JsonDocument.Parse(text, Strict); }
        catch (JsonException e)
        {
            return Issue(file, line, "", DataIssueKind.InvalidJson, $"not one valid JSON object: {FirstSentence(e.Message)}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Issue(file, line, "", DataIssueKind.WrongType, $"expected a JSON object ({{...}}), found {JsonlLineParser.Describe(root)}");
            var lineFormat = format ?? Detect(root, options);
            if (lineFormat is null)
                return Issue(file, line, "", DataIssueKind.MissingKey,
                    $"no key of a known format; expected 'messages' (chat), 'prompt'/'completion', '{options.TextField}'/'{options.LabelField}', " +
                    $"'{options.TextField}'/'{options.TextPairField}'/'{options.LabelField}' or 'tokens'/'tags'; found {KeyList(root)}");
            format ??= lineFormat;
            var parser = new JsonlLineParser(file, line, options);
            var example = parser.Parse(root, lineFormat.Value);
            return new JsonlEntry(line, example, example is null ? parser.Issue : null);
        }
    }

    /// <summary>The format a line's keys say it has, null when none fits.</summary>
    static JsonlFormat? Detect(JsonElement root, JsonlReaderOptions options)
    {
        bool Has(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;
        if (Has("messages")) return JsonlFormat.Chat;
        if (Has("prompt") || Has("completion")) return JsonlFormat.PromptCompletion;
        if (Has("tokens") || Has("tags")) return JsonlFormat.TokensTags;
        if (Has(options.TextPairField)) return JsonlFormat.TextPairLabel;
        if (Has(options.TextField)) return JsonlFormat.TextLabel;
        return null;
    }

    static string KeyList(JsonElement root)
    {
        var keys = root.EnumerateObject().Select(p => $"'{p.Name}'").Take(10).ToList();
        return keys.Count == 0 ? "an empty object" : "keys " + string.Join(", ", keys);
    }

    // System.Text.Json's messages end with "LineNumber: 0 | BytePositionInLine: 12." which is useful; keep all of it but one line.
    internal static string FirstSentence(string message) => message.ReplaceLineEndings(" ");

    static JsonlEntry Issue(string file, int line, string field, DataIssueKind kind, string message) =>
        new(line, null, new DataIssue(file, line, field, kind, message));
}
