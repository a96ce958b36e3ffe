using MLNet.FineTune.Cli.DataFiles;
using MLNet.FineTune.Cli.Output;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// The rows the CLI trains and evaluates on. Read through the same path as <c>validate</c> (<see cref="DataFile"/>: the
/// library's JSONL reader, CSV/TSV with a header, CoNLL), so a bad row fails with the same <c>file:line: field: kind:
/// message</c> that <c>validate</c> prints for it.
/// </summary>
internal sealed class LabelledData
{
    public required string Path { get; init; }
    public required List<string> Texts { get; init; }
    /// <summary>Second texts (pairs), or null.</summary>
    public List<string>? Pairs { get; init; }
    /// <summary>Label as text (classification, regression as written; "" when the row has none); for NER the space-joined tags.</summary>
    public required List<string> Labels { get; init; }
    /// <summary>NER: the words and tags of each row (texts are the words joined by spaces).</summary>
    public List<string[]>? Tokens { get; init; }
    /// <summary>1-based line of each row in the file (the first line of a CoNLL sentence).</summary>
    public required List<int> Lines { get; init; }

    /// <summary>multi-task: each head's label per row ("" where the row has none for that head), by head name.</summary>
    public Dictionary<string, List<string>>? HeadLabels { get; init; }

    public int Count => Texts.Count;

    /// <summary>Column names inside the data views the CLI builds; a saved model reads its texts from these.</summary>
    public const string TextColumn = "Text", PairColumn = "TextPair", LabelColumn = "Label";

    /// <summary>
    /// Reads <paramref name="path"/> (layout by <paramref name="format"/>, or by its extension) for <paramref name="task"/>;
    /// the file's first problem is a <see cref="UserError"/> naming its line, with the count of the others.
    /// </summary>
    public static LabelledData Read(string path, CliTask task, DataColumns columns, string? format = null)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new UserError($"data file '{path}' does not exist.");
        var layout = DataFileFormats.Resolve(format, path);
        if (task == CliTask.Ner && layout is DataFileFormat.Csv or DataFileFormat.Tsv)
            throw new UserError($"{path}: NER data must be JSONL (tokens/tags) or CoNLL (.conll), not {layout.ToString().ToUpperInvariant()}.");
        var file = LoadValid(path, layout, columns with { RequirePair = columns.RequirePair || task is CliTask.Pairs or CliTask.Embeddings });
        var expected = ExpectedFormats(task);
        if (file.Examples[0] is { } first && !expected.Contains(first.Format))
            throw new UserError($"{file.Name}:{first.Line}: the examples are {file.FormatName}, but --task {CliTasks.Name(task)} reads " +
                string.Join(" or ", expected.Select(JsonlFormats.Name)) + (task is CliTask.Pairs or CliTask.Embeddings ? $" (a '{columns.TextPair}' key or column on every row)" : "") + ".");
        var examples = file.Examples;
        bool pairs = examples[0].Format == JsonlFormat.TextPairLabel;
        bool ner = examples[0].Format == JsonlFormat.TokensTags;
        return new LabelledData
        {
            Path = path,
            Texts = examples.Select(e => ner ? string.Join(' ', e.Tokens!) : e.Text!).ToList(),
            Pairs = pairs ? examples.Select(e => e.TextPair!).ToList() : null,
            Labels = examples.Select(e => ner ? string.Join(' ', e.Tags ?? []) : e.Label ?? "").ToList(),
            Tokens = ner ? examples.Select(e => e.Tokens!.ToArray()).ToList() : null,
            Lines = examples.Select(e => e.Line).ToList(),
        };
    }

    /// <summary>A data file with at least one example and no problem; else the first problem as a <see cref="UserError"/> (with the count of the others).</summary>
    public static DataFile LoadValid(string path, DataFileFormat layout, DataColumns columns)
    {
        var file = DataFile.Load(path, layout, columns);
        if (file.Issues.Count > 0)
            throw new UserError(file.Issues[0] + (file.IssueCount > 1 ? $" ({file.IssueCount} problems in all; 'mlnet-finetune validate {path}' lists them)" : ""));
        if (file.Examples.Count == 0) throw new UserError($"{file.Name}: the file holds no examples.");
        return file;
    }

    /// <summary>
    /// multi-task rows: a text (or pair) and a label per head under the head's name. Read once per head with that key as
    /// the label (the same reader, the same errors); a row may lack some heads' labels but needs at least one.
    /// </summary>
    public static LabelledData ReadMultiTask(string path, IReadOnlyList<HeadSpec> heads, DataColumns columns, string? format = null)
    {
        LabelledData? rows = null;
        var labels = new Dictionary<string, List<string>>();
        foreach (var head in heads)
        {
            var read = Read(path, CliTask.MultiTask, columns with { Label = head.Name, RequireLabels = false }, format);
            rows ??= read;
            labels[head.Name] = read.Labels;
        }
        for (int r = 0; r < rows!.Count; r++)
            if (heads.All(h => labels[h.Name][r].Length == 0))
                throw new UserError($"{System.IO.Path.GetFileName(path)}:{rows.Lines[r]}: missing_key: the row has no label for any head; expected at least one of {string.Join(", ", heads.Select(h => $"'{h.Name}'"))}.");
        return new LabelledData { Path = path, Texts = rows.Texts, Pairs = rows.Pairs, Labels = rows.Labels, Lines = rows.Lines, HeadLabels = labels };
    }

    /// <summary>The rows <paramref name="rows"/> with <paramref name="labels"/> as their labels (one head of a multi-task file).</summary>
    public LabelledData Subset(IReadOnlyList<int> rows, IReadOnlyList<string> labels) => new()
    {
        Path = Path, Texts = rows.Select(r => Texts[r]).ToList(), Pairs = Pairs is null ? null : rows.Select(r => Pairs[r]).ToList(),
        Labels = rows.Select(r => labels[r]).ToList(), Lines = rows.Select(r => Lines[r]).ToList(),
    };

    static JsonlFormat[] ExpectedFormats(CliTask task) => task switch
    {
        CliTask.Ner => [JsonlFormat.TokensTags],
        CliTask.Pairs or CliTask.Embeddings => [JsonlFormat.TextPairLabel],
        _ => [JsonlFormat.TextLabel, JsonlFormat.TextPairLabel],
    };

    /// <summary>Labels as numbers (regression); an unparseable one names its line.</summary>
    public float[] NumericLabels() => Labels.Select((l, i) =>
        float.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v) ? v
            : throw new UserError($"{Path}:{Lines[i]}: label '{l}' is not a number (regression needs numeric labels).")).ToArray();

    /// <summary>The rows as an IDataView with <see cref="TextColumn"/>, <see cref="PairColumn"/> (pairs) and <see cref="LabelColumn"/>.</summary>
    public IDataView ToDataView(MLContext ml, CliTask task, IReadOnlyList<HeadSpec>? heads = null)
    {
        if (task == CliTask.MultiTask) return MultiTaskRow.View(ml, this, heads!);
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

    /// <summary>
    /// A multi-task row: the texts and up to <see cref="HeadSpec.MaxHeads"/> label slots (text for classification, a number
    /// for regression) renamed to the heads' names; unused slots are dropped from the schema. A missing label is "" (classification)
    /// or NaN (regression), the library's "not labelled for this head".
    /// </summary>
    sealed class MultiTaskRow
    {
        public string Text { get; set; } = "";
        public string TextPair { get; set; } = "";
        public string[] S { get; set; } = new string[HeadSpec.MaxHeads];
        public float[] F { get; set; } = new float[HeadSpec.MaxHeads];
        public string S0 { get => S[0]; set => S[0] = value; } public string S1 { get => S[1]; set => S[1] = value; }
        public string S2 { get => S[2]; set => S[2] = value; } public string S3 { get => S[3]; set => S[3] = value; }
        public string S4 { get => S[4]; set => S[4] = value; } public string S5 { get => S[5]; set => S[5] = value; }
        public string S6 { get => S[6]; set => S[6] = value; } public string S7 { get => S[7]; set => S[7] = value; }
        public float F0 { get => F[0]; set => F[0] = value; } public float F1 { get => F[1]; set => F[1] = value; }
        public float F2 { get => F[2]; set => F[2] = value; } public float F3 { get => F[3]; set => F[3] = value; }
        public float F4 { get => F[4]; set => F[4] = value; } public float F5 { get => F[5]; set => F[5] = value; }
        public float F6 { get => F[6]; set => F[6] = value; } public float F7 { get => F[7]; set => F[7] = value; }

        public static IDataView View(MLContext ml, LabelledData data, IReadOnlyList<HeadSpec> heads)
        {
            var rows = new List<MultiTaskRow>(data.Count);
            for (int r = 0; r < data.Count; r++)
            {
                var row = new MultiTaskRow { Text = data.Texts[r], TextPair = data.Pairs?[r] ?? "" };
                for (int h = 0; h < heads.Count; h++)
                {
                    string label = data.HeadLabels![heads[h].Name][r];
                    if (heads[h].Kind == HeadKind.Classification) row.S[h] = label;
                    // NaN: the row has no label for this regression head (as "" for a classification head).
                    else row.F[h] = label.Length == 0 ? float.NaN
                        : float.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v) ? v
                        : throw new UserError($"{System.IO.Path.GetFileName(data.Path)}:{data.Lines[r]}: {heads[h].Name}: invalid_value: label '{label}' is not a number (head '{heads[h].Name}' is a regression head).");
                }
                rows.Add(row);
            }
            var schema = SchemaDefinition.Create(typeof(MultiTaskRow));
            schema.Remove(schema[nameof(S)]);
            schema.Remove(schema[nameof(F)]);
            if (data.Pairs is null) schema.Remove(schema[nameof(TextPair)]);
            for (int i = 0; i < HeadSpec.MaxHeads; i++)
            {
                var (text, number) = (schema["S" + i], schema["F" + i]);
                if (i < heads.Count && heads[i].Kind == HeadKind.Classification) { text.ColumnName = heads[i].Name; schema.Remove(number); }
                else if (i < heads.Count) { number.ColumnName = heads[i].Name; schema.Remove(text); }
                else { schema.Remove(text); schema.Remove(number); }
            }
            return ml.Data.LoadFromEnumerable(rows, schema);
        }
    }
}
