using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Scoring;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Onnx;

/// <summary>
/// Scores batches of texts with ONNX Runtime as FineTuneScorer does with TorchSharp: tokenize with the model's
/// tokenizer (pre-split words for a token-level head), pad to the longest row, one session run, then each head's
/// columns decoded by the same <see cref="HeadColumns"/> code the TorchSharp heads use. Thread-safe: ONNX Runtime's
/// <c>Run</c> may be called concurrently and nothing here is mutable.
/// </summary>
internal sealed class OnnxBatchScorer : IBatchScorer
{
    readonly OnnxFineTuneModel model;
    readonly bool hasTokenTypes;

    public OnnxBatchScorer(OnnxFineTuneModel model, int batchSize)
    {
        this.model = model;
        BatchSize = batchSize;
        hasTokenTypes = model.Session.InputMetadata.ContainsKey("token_type_ids");
        OutputColumns = model.Heads.SelectMany(h => h.Kind == EmbeddingKind ? [EmbeddingColumn(h)] : Columns(h, Prefix(h))).ToList();
    }

    const string EmbeddingKind = "embedding";

    public IReadOnlyList<string> InputColumnNames => model.Settings.InputColumns;
    public IReadOnlyList<ScoredColumn> OutputColumns { get; }
    public int BatchSize { get; }

    string Prefix(ExportedHeadInfo head) => model.Heads.Count == 1 ? model.Settings.OutputColumnPrefix : model.Settings.OutputColumnPrefix + head.Name + ".";

    static IReadOnlyList<ScoredColumn> Columns(ExportedHeadInfo head, string prefix) => head.Kind switch
    {
        "classification" => HeadColumns.Classification(prefix, head.LabelNames, head.Binary),
        "regression" => HeadColumns.Regression(prefix),
        "token-classification" => HeadColumns.Tokens(prefix),
        _ => throw new NotSupportedException($"Exported head '{head.Name}' is of kind '{head.Kind}', which this version of MLNet.FineTune.Onnx does not score."),
    };

    // An embedding export has one output, named after its column, (batch, dimensions): the dimensions are the graph's.
    ScoredColumn EmbeddingColumn(ExportedHeadInfo head) =>
        new(head.Outputs[0], new VectorDataViewType(NumberDataViewType.Single, model.Session.OutputMetadata[head.Outputs[0]].Dimensions[1]));

    public Array[] Score(IReadOnlyList<object?[]> inputs)
    {
        var texts = Array.ConvertAll(inputs[0], v => v as string ?? "");
        var pairs = inputs.Count > 1 ? Array.ConvertAll(inputs[1], v => v as string ?? "") : null;
        var encodings = Encode(texts, pairs);
        var groups = LengthGroups.Plan(encodings.Select(e => e.Length).ToArray());
        if (groups.Count == 1) return Run(encodings, texts);
        // Rows of similar length run together, so a batch is not padded to its longest row (the graph has no packing);
        // the columns come back in the rows' own order.
        Array[]? columns = null;
        foreach (var group in groups)
        {
            var part = Run(group.Select(i => encodings[i]).ToArray(), group.Select(i => texts[i]).ToArray());
            columns ??= part.Select(c => Array.CreateInstance(c.GetType().GetElementType()!, texts.Length)).ToArray();
            for (int c = 0; c < part.Length; c++)
                for (int k = 0; k < group.Count; k++) columns[c].SetValue(part[c].GetValue(k), group[k]);
        }
        return columns!;
    }

    Array[] Run(EncodedInput[] encodings, string[] texts)
    {
        int b = encodings.Length, t = Math.Max(1, encodings.Max(e => e.Length));
        var ids = new long[b * t]; var mask = new long[b * t]; var types = new long[b * t];
        Array.Fill(ids, model.Settings.PadTokenId);
        for (int r = 0; r < b; r++)
            for (int j = 0; j < encodings[r].Length; j++)
            {
                ids[r * t + j] = encodings[r].InputIds[j];
                mask[r * t + j] = encodings[r].AttentionMask[j];
                types[r * t + j] = encodings[r].TokenTypeIds[j];
            }
        int[] dims = [b, t];
        var feeds = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, dims)),
        };
        if (hasTokenTypes) feeds.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, dims)));
        var wanted = model.Heads.SelectMany(h => Needed(h, Prefix(h))).ToList();
        using var results = model.Session.Run(feeds, wanted);
        var values = results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
        var columns = new List<Array>();
        foreach (var head in model.Heads)
        {
            string p = Prefix(head);
            columns.AddRange(head.Kind switch
            {
                "classification" => HeadColumns.DecodeClassification(values[p + "Logits"], Probabilities(values, p, head), head.LabelNames.Count, head.Binary),
                "regression" => [values[p + "Score"]],
                EmbeddingKind => [Rows(values[head.Outputs[0]], b)],
                _ => HeadColumns.DecodeTokens(values[p + "TokenProbabilities"], t, head.LabelNames,
                    encodings.Select(e => (IReadOnlyList<int?>)e.WordIds).ToList(), texts),
            });
        }
        return columns.ToArray();
    }

    // Binary heads export p(True) only: the pair of class probabilities is rebuilt from the logits exactly as softmax does.
    static float[] Probabilities(Dictionary<string, float[]> values, string p, ExportedHeadInfo head)
    {
        if (!head.Binary) return values[p + "Score"];
        var logits = values[p + "Logits"];
        var probabilities = new float[logits.Length];
        var pTrue = values[p + "Probability"];
        for (int r = 0; r < pTrue.Length; r++) { probabilities[r * 2 + 1] = pTrue[r]; probabilities[r * 2] = 1 - pTrue[r]; }
        return probabilities;
    }

    static VBuffer<float>[] Rows(float[] flat, int rows)
    {
        int d = flat.Length / rows;
        return Enumerable.Range(0, rows).Select(r => new VBuffer<float>(d, flat.AsSpan(r * d, d).ToArray())).ToArray();
    }

    static IEnumerable<string> Needed(ExportedHeadInfo head, string p) => head.Kind switch
    {
        EmbeddingKind => [head.Outputs[0]],
        "classification" => head.Binary ? [p + "Logits", p + "Probability"] : [p + "Logits", p + "Score"],
        "regression" => [p + "Score"],
        _ => [p + "TokenProbabilities"],
    };

    EncodedInput[] Encode(string[] texts, string[]? pairs)
    {
        int max = model.Settings.MaxSequenceLength;
        if (model.Settings.TokenLevel)
            return texts.Select((x, i) => model.Tokenizer.EncodeWords(Words(x), pairs is null ? null : Words(pairs[i]), max, model.Truncation)).ToArray();
        return texts.Select((x, i) => model.Tokenizer.Encode(x, pairs?[i], max, model.Truncation)).ToArray();
    }

    static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
