using MLNet.FineTune.Cli.Output;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// The rows the CLI trains and evaluates on, read from a file: <c>text</c>/<c>label</c> or <c>text</c>/<c>text_pair</c>/<c>label</c>
/// JSONL, CSV/TSV with a header (column names from <see cref="DataColumns"/>), <c>tokens</c>/<c>tags</c> JSONL, or CoNLL
/// (<c>.conll</c>, <c>.bio</c>, <c>.iob</c>: the library's <see cref="ConllReader"/>). Small on purpose: the shared JSONL
/// reader (Data/Jsonl) replaces the JSONL part when it lands.
/// </summary>
internal sealed class LabelledData
{
    public required string Path { get; init; }
    public required List<string> Texts { get; init; }
    /// <summary>Second texts (pairs), or null.</summary>
    public List<string>? Pairs { get; init; }
    /// <summary>Label as text (classification, regression as written); for NER the space-joined tags.</summary>
    public required List<string> Labels { get; init; }
    /// <summary>NER: the words and tags of each row (texts are the words joined by spaces).</summary>
    public List<string[]>? Tokens { get; init; }
    /// <summary>1-based line of each row in the file (the first line of a CoNLL sentence).</summary>
    public required List<int> Lines { get; init; }

    public int Count => Texts.Count;

    /// <summary>Column names inside the data views the CLI builds; a saved model reads its texts from these.</summary>
    public const string TextColumn = "Text", PairColumn = "TextPair", LabelColumn = "Label";

    public static LabelledData Read(string path, CliTask task, DataColumns columns)
    {
        if (!File.Exists(path)) throw new UserError($"data file '{path}' does not exist.");
        string ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        var data = ext switch
        {
            ".conll" or ".bio" or ".iob" or ".conllu" => ReadConll(path),
            ".csv" => ReadDelimited(path, ',', task, columns),
            ".tsv" => ReadDelimited(path, '\t', task, columns),
            _ => ReadJsonl(path, task, columns),
        };
        if (data.Count == 0) throw new UserError($"{path}: no examples found.");
        if (task == CliTask.Pairs && data.Pairs is null) throw new UserError($"{path}: --task pairs needs a '{columns.Pair}' field on every row.");
        return data;
    }

    static LabelledData ReadConll(string path)
    {
        List<ConllSentence> sentences;
        try { sentences = ConllReader.ReadFile(path); }
        catch (Exception e) when (e is FormatException or InvalidDataException) { throw new UserError(e.Message); }
        return new LabelledData
        {
            Path = path, Texts = sentences.Select(s => s.Text).ToList(), Labels = sentences.Select(s => string.Join(' ', s.Tags)).ToList(),
            Tokens = sentences.Select(s => s.Words).ToList(), Lines = sentences.Select(s => s.LineNumbers.Length > 0 ? s.LineNumbers[0] : 0).ToList(),
        };
    }

    static LabelledData ReadJsonl(string path, CliTask task, DataColumns columns)
    {
        var texts = new List<string>(); var labels = new List<string>(); var lines = new List<int>();
        List<string>? pairs = null; List<string[]>? tokens = task == CliTask.Ner ? new() : null;
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string Where(string field) => $"{path}:{lineNumber}: field '{field}'";
            JsonElement row;
            try { row = JsonDocument.Parse(line).RootElement; }
            catch (JsonException e) { throw new UserError($"{path}:{lineNumber}: invalid JSON ({e.Message})."); }
            if (row.ValueKind != JsonValueKind.Object) throw new UserError($"{path}:{lineNumber}: expected a JSON object, got {row.ValueKind}.");
            if (task == CliTask.Ner)
            {
                var words = StringArray(row, columns.Tokens, Where(columns.Tokens));
                var tags = StringArray(row, columns.Tags, Where(columns.Tags));
                if (words.Length != tags.Length) throw new UserError($"{path}:{lineNumber}: {words.Length} tokens but {tags.Length} tags.");
                if (words.Length == 0) throw new UserError($"{Where(columns.Tokens)} is empty.");
                tokens!.Add(words); texts.Add(string.Join(' ', words)); labels.Add(string.Join(' ', tags));
            }
            else
            {
                texts.Add(Text(row, columns.Text, Where(columns.Text)));
                if (row.TryGetProperty(columns.Pair, out _))
                {
                    pairs ??= texts.Count == 1 ? new() : throw new UserError($"{Where(columns.Pair)}: present here but missing on earlier rows (every row or none).");
                    pairs.Add(Text(row, columns.Pair, Where(columns.Pair)));
                }
                else if (pairs is not null) throw new UserError($"{Where(columns.Pair)} is missing (earlier rows have it).");
                labels.Add(Label(row, columns.Label, Where(columns.Label)));
            }
            lines.Add(lineNumber);
        }
        return new LabelledData { Path = path, Texts = texts, Pairs = pairs, Labels = labels, Tokens = tokens, Lines = lines };
    }

    static string Text(JsonElement row, string name, string where) =>
        row.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new UserError($"{where}: expected a string, got {v.ValueKind}.")
            : throw new UserError($"{where} is missing.");

    static string Label(JsonElement row, string name, string where) =>
        !row.TryGetProperty(name, out var v) ? throw new UserError($"{where} is missing.") : v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            _ => throw new UserError($"{where}: expected a string, number or boolean label, got {v.ValueKind}."),
        };

    static string[] StringArray(JsonElement row, string name, string where)
    {
        if (!row.TryGetProperty(name, out var v)) throw new UserError($"{where} is missing.");
        if (v.ValueKind != JsonValueKind.Array) throw new UserError($"{where}: expected an array of strings, got {v.ValueKind}.");
        return v.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new UserError($"{where}[{i}]: expected a string, got {e.ValueKind}.")).ToArray();
    }

    static LabelledData ReadDelimited(string path, char separator, CliTask task, DataColumns columns)
    {
        if (task == CliTask.Ner) throw new UserError($"{path}: NER data must be JSONL (tokens/tags) or CoNLL (.conll), not {(separator == ',' ? "CSV" : "TSV")}.");
        using var file = new StreamReader(path, Encoding.UTF8);
        var reader = new DelimitedRecords(file, separator);
        var header = reader.Next(out int headerLine) ?? throw new UserError($"{path}: empty file (expected a header line).");
        int Column(string name, bool required)
        {
            int i = Array.FindIndex(header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
            if (i < 0 && required) throw new UserError($"{path}:{headerLine}: no column '{name}' in the header ({string.Join(", ", header)}); choose columns with --text-column/--pair-column/--label-column.");
            return i;
        }
        int text = Column(columns.Text, true), label = Column(columns.Label, true), pair = Column(columns.Pair, task == CliTask.Pairs);
        var data = new LabelledData { Path = path, Texts = new(), Labels = new(), Lines = new(), Pairs = pair >= 0 ? new() : null };
        while (reader.Next(out int line) is { } fields)
        {
            if (fields.Length == 1 && fields[0].Length == 0) continue;
            if (fields.Length != header.Length) throw new UserError($"{path}:{line}: {fields.Length} fields, the header has {header.Length}.");
            data.Texts.Add(fields[text]); data.Labels.Add(fields[label]); data.Pairs?.Add(fields[pair]); data.Lines.Add(line);
        }
        return data;
    }

    /// <summary>Labels as numbers (regression); an unparseable one names its line.</summary>
    public float[] NumericLabels() => Labels.Select((l, i) =>
        float.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v) ? v
            : throw new UserError($"{Path}:{Lines[i]}: label '{l}' is not a number (regression needs numeric labels).")).ToArray();

    /// <summary>The rows as an IDataView with <see cref="TextColumn"/>, <see cref="PairColumn"/> (pairs) and <see cref="LabelColumn"/>.</summary>
    public IDataView ToDataView(MLContext ml, CliTask task)
    {
        if (task == CliTask.Regression)
        {
            var numbers = NumericLabels();
            return Pairs is null
                ? ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new NumberRow { Text = t, Label = numbers[i] }))
                : ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new NumberPairRow { Text = t, TextPair = Pairs[i], Label = numbers[i] }));
        }
        return Pairs is null
            ? ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new TextRow { Text = t, Label = Labels[i] }))
            : ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new PairRow { Text = t, TextPair = Pairs[i], Label = Labels[i] }));
    }

    sealed class TextRow { public string Text { get; set; } = ""; public string Label { get; set; } = ""; }
    sealed class PairRow { public string Text { get; set; } = ""; public string TextPair { get; set; } = ""; public string Label { get; set; } = ""; }
    sealed class NumberRow { public string Text { get; set; } = ""; public float Label { get; set; } }
    sealed class NumberPairRow { public string Text { get; set; } = ""; public string TextPair { get; set; } = ""; public float Label { get; set; } }
}

/// <summary>Field (JSONL) or header (CSV/TSV) names the data is read from.</summary>
internal sealed record DataColumns(string Text = "text", string Pair = "text_pair", string Label = "label", string Tokens = "tokens", string Tags = "tags");
