using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// <c>--augment</c>: adds <c>--augment-copies</c> edited copies of every training row (validation rows are never edited). Each copy
/// applies one edit drawn from the chosen ones to about 10% of its words (at least one), as EDA (Wei &amp; Zou 2019) does:
/// <c>delete</c> drops words (never all), <c>swap</c> exchanges two words, <c>neighbours</c> replaces a word by one of its 5
/// nearest neighbours (cosine) in the pretrained model's token-embedding table, among whole-word vocabulary tokens. Seeded
/// by <c>--seed</c>: the same run gives the same copies. Pairs edit both texts; NER is refused (tags follow the words).
/// </summary>
internal sealed class TextAugmenter
{
    public enum Edit { Delete, Swap, Neighbours }

    readonly Edit[] edits;
    readonly Random random;
    readonly NeighbourTable? neighbours;

    TextAugmenter(Edit[] edits, int seed, NeighbourTable? neighbours) { this.edits = edits; random = new Random(seed); this.neighbours = neighbours; }

    public static Edit[] ParseEdits(string spec) => spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).SelectMany(e => e.ToLowerInvariant() switch
    {
        "all" or "eda" => new[] { Edit.Delete, Edit.Swap, Edit.Neighbours },
        "delete" or "deletion" => [Edit.Delete],
        "swap" => [Edit.Swap],
        "neighbours" or "neighbors" or "substitute" => [Edit.Neighbours],
        _ => throw new UserError($"--augment '{e}' is not an edit; use delete, swap, neighbours (or all), comma-separated."),
    }).Distinct().ToArray();

    /// <summary>The rows plus <paramref name="copies"/> edited copies of each; <paramref name="baseFolder"/> is the pretrained model's folder (null: builtin).</summary>
    public static LabelledData Augment(LabelledData data, CliTask task, string spec, int copies, int seed, string? baseFolder)
    {
        if (task == CliTask.Ner) throw new UserError("--augment edits words, which would misalign NER tags; it applies to classification, pairs, regression and setfit.");
        if (task is CliTask.MultiTask or CliTask.Embeddings) throw new UserError($"--augment applies to classification, pairs, regression and setfit, not {CliTasks.Name(task)}.");
        var edits = ParseEdits(spec);
        if (edits.Length == 0) return data;
        if (edits.Contains(Edit.Neighbours) && baseFolder is null)
            throw new UserError("--augment neighbours needs a pretrained model's token embeddings (--model minilm, arctic-xs or a folder); the builtin model has none.");
        var augmenter = new TextAugmenter(edits, seed, edits.Contains(Edit.Neighbours) ? NeighbourTable.Load(baseFolder!) : null);
        var result = new LabelledData
        {
            Path = data.Path, Texts = new(data.Texts), Pairs = data.Pairs is null ? null : new(data.Pairs), Labels = new(data.Labels), Lines = new(data.Lines),
        };
        for (int c = 0; c < copies; c++)
            for (int r = 0; r < data.Count; r++)
            {
                var edit = augmenter.edits[augmenter.random.Next(augmenter.edits.Length)];
                result.Texts.Add(augmenter.Apply(edit, data.Texts[r]));
                result.Pairs?.Add(augmenter.Apply(edit, data.Pairs![r]));
                result.Labels.Add(data.Labels[r]);
                result.Lines.Add(data.Lines[r]);
            }
        return result;
    }

    public const string CopiesFile = "augmented.jsonl";

    /// <summary>The edited copies (rows after the first <paramref name="originalRows"/>) as JSONL with the line of their original: what the model was also trained on.</summary>
    public static void WriteCopies(string path, LabelledData data, int originalRows)
    {
        using var writer = new StreamWriter(path);
        for (int r = originalRows; r < data.Count; r++)
        {
            var row = new Dictionary<string, object> { ["line"] = data.Lines[r], ["text"] = data.Texts[r] };
            if (data.Pairs is not null) row["text_pair"] = data.Pairs[r];
            row["label"] = data.Labels[r];
            writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(row));
        }
    }

    string Apply(Edit edit, string text)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (words.Count < 2) return text;
        int n = Math.Max(1, (int)Math.Round(0.1 * words.Count));
        switch (edit)
        {
            case Edit.Delete:
                for (int i = 0; i < n && words.Count > 1; i++) words.RemoveAt(random.Next(words.Count));
                break;
            case Edit.Swap:
                for (int i = 0; i < n; i++)
                {
                    int a = random.Next(words.Count), b = random.Next(words.Count);
                    (words[a], words[b]) = (words[b], words[a]);
                }
                break;
            case Edit.Neighbours:
                foreach (int i in Enumerable.Range(0, words.Count).OrderBy(_ => random.Next()).Take(n))
                    if (neighbours!.Nearest(words[i]) is { Count: > 0 } near) words[i] = near[random.Next(near.Count)];
                break;
        }
        return string.Join(' ', words);
    }

    /// <summary>Whole-word vocabulary tokens with their normalized input embeddings, and each queried word's nearest ones.</summary>
    sealed class NeighbourTable
    {
        const int K = 5;
        readonly TransformerTokenizer tokenizer;
        readonly int[] ids;
        readonly float[][] vectors;
        readonly Dictionary<int, int> row;
        readonly Dictionary<string, List<string>> cache = new(StringComparer.Ordinal);

        NeighbourTable(TransformerTokenizer tokenizer, int[] ids, float[][] vectors)
        {
            this.tokenizer = tokenizer; this.ids = ids; this.vectors = vectors;
            row = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        }

        public static NeighbourTable Load(string folder)
        {
            var tokenizer = TransformerTokenizer.FromFolder(folder);
            var state = CheckpointFolder.ReadStateDict(folder);
            try
            {
                var table = state.First(kv => kv.Key.EndsWith("word_embeddings.weight", StringComparison.Ordinal)).Value;
                int dim = (int)table.shape[1];
                var all = table.contiguous().data<float>().ToArray();
                var ids = Enumerable.Range(0, (int)table.shape[0])
                    .Where(id => tokenizer.IdToToken(id) is { Length: >= 2 } t && t.All(char.IsLetter)).ToArray();
                var vectors = ids.Select(id =>
                {
                    var v = all.AsSpan(id * dim, dim).ToArray();
                    float norm = MathF.Sqrt(v.Sum(x => x * x));
                    for (int j = 0; j < dim; j++) v[j] /= Math.Max(norm, 1e-12f);
                    return v;
                }).ToArray();
                return new NeighbourTable(tokenizer, ids, vectors);
            }
            finally { foreach (var t in state.Values) t.Dispose(); }
        }

        /// <summary>Up to 5 nearest whole-word tokens of <paramref name="word"/> (lower-cased as an uncased vocabulary stores it); empty when the word is not one token.</summary>
        public List<string> Nearest(string word)
        {
            if (cache.TryGetValue(word, out var known)) return known;
            var found = new List<string>();
            if ((tokenizer.TokenToId(word) ?? tokenizer.TokenToId(word.ToLowerInvariant())) is int id && row.TryGetValue(id, out int r))
            {
                var query = vectors[r];
                found = Enumerable.Range(0, ids.Length).Where(i => i != r)
                    .Select(i => (i, score: Dot(query, vectors[i]))).OrderByDescending(p => p.score).Take(K)
                    .Select(p => tokenizer.IdToToken(ids[p.i])!).ToList();
            }
            return cache[word] = found;
        }

        static float Dot(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
    }
}
