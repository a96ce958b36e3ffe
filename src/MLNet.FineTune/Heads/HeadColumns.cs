using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads.TokenTagging;
using MLNet.FineTune.Scoring;

namespace MLNet.FineTune.Heads;

/// <summary>
/// The ML.NET columns each head kind adds and how they are filled from plain float arrays. No TorchSharp here: the
/// fitted heads call it on their tensors' values, and the libtorch-free ONNX scorer (src/MLNet.FineTune.Onnx, which
/// compiles this file too) calls it on ONNX Runtime's outputs, so both give the same columns by construction.
/// </summary>
internal static class HeadColumns
{
    /// <summary>
    /// Classifier columns: a Boolean label gives binary-classifier columns (<c>Score</c> = logit margin,
    /// <c>Probability</c>, <c>PredictedLabel</c> bool); any other gives multiclass ones (<c>Score</c> = class
    /// probabilities with slot names, <c>PredictedLabel</c> = key whose key values are the labels).
    /// </summary>
    public static IReadOnlyList<ScoredColumn> Classification(string prefix, IReadOnlyList<string> labels, bool binary)
    {
        if (binary)
            return
            [
                new ScoredColumn(prefix + "Score", NumberDataViewType.Single),
                new ScoredColumn(prefix + "Probability", NumberDataViewType.Single),
                new ScoredColumn(prefix + "PredictedLabel", BooleanDataViewType.Instance),
            ];
        var names = new VBuffer<ReadOnlyMemory<char>>(labels.Count, labels.Select(l => l.AsMemory()).ToArray());
        var namesType = new VectorDataViewType(TextDataViewType.Instance, labels.Count);
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> getNames = (ref VBuffer<ReadOnlyMemory<char>> v) => names.CopyTo(ref v);
        var slotNames = new DataViewSchema.Annotations.Builder();
        slotNames.Add("SlotNames", namesType, getNames);
        var keyValues = new DataViewSchema.Annotations.Builder();
        keyValues.Add("KeyValues", namesType, getNames);
        return
        [
            new ScoredColumn(prefix + "Score", new VectorDataViewType(NumberDataViewType.Single, labels.Count), slotNames.ToAnnotations()),
            new ScoredColumn(prefix + "PredictedLabel", new KeyDataViewType(typeof(uint), labels.Count), keyValues.ToAnnotations()),
        ];
    }

    /// <summary>Classifier column values from row-major (B, C) logits and softmax probabilities.</summary>
    public static Array[] DecodeClassification(float[] logits, float[] probabilities, int classes, bool binary)
    {
        int b = probabilities.Length / classes, c = classes;
        if (binary)
            return
            [
                Enumerable.Range(0, b).Select(r => logits[r * 2 + 1] - logits[r * 2]).ToArray(),
                Enumerable.Range(0, b).Select(r => probabilities[r * 2 + 1]).ToArray(),
                Enumerable.Range(0, b).Select(r => probabilities[r * 2 + 1] > 0.5f).ToArray(),
            ];
        // The first maximum on ties, as torch.argmax; ML.NET keys are 1-based (0 = missing).
        var argmax = Enumerable.Range(0, b).Select(r => { int best = 0; for (int j = 1; j < c; j++) if (probabilities[r * c + j] > probabilities[r * c + best]) best = j; return best; });
        return
        [
            Enumerable.Range(0, b).Select(r => new VBuffer<float>(c, probabilities.AsSpan(r * c, c).ToArray())).ToArray(),
            argmax.Select(a => (uint)(a + 1)).ToArray(),
        ];
    }

    public static IReadOnlyList<ScoredColumn> Regression(string prefix) => [new ScoredColumn(prefix + "Score", NumberDataViewType.Single)];

    /// <summary>Token tagging: tags per word and entity spans (type, character start/end, text, confidence).</summary>
    public static IReadOnlyList<ScoredColumn> Tokens(string prefix)
    {
        var texts = new VectorDataViewType(TextDataViewType.Instance);
        return
        [
            new ScoredColumn(prefix + "PredictedTags", texts),
            new ScoredColumn(prefix + "EntityTypes", texts),
            new ScoredColumn(prefix + "EntityStarts", new VectorDataViewType(NumberDataViewType.Int32)),
            new ScoredColumn(prefix + "EntityEnds", new VectorDataViewType(NumberDataViewType.Int32)),
            new ScoredColumn(prefix + "EntityTexts", texts),
            new ScoredColumn(prefix + "EntityScores", new VectorDataViewType(NumberDataViewType.Single)),
        ];
    }

    /// <summary>
    /// Token-tagging column values from row-major (B, T, C) per-token probabilities: each space-separated word takes the
    /// prediction of its first sub-word (<paramref name="wordIds"/> per row), then tags become entity spans.
    /// </summary>
    public static Array[] DecodeTokens(float[] probabilities, int tokens, IReadOnlyList<string> labels,
        IReadOnlyList<IReadOnlyList<int?>> wordIds, IReadOnlyList<string> texts)
    {
        int c = labels.Count, b = wordIds.Count;
        var tags = new VBuffer<ReadOnlyMemory<char>>[b]; var types = new VBuffer<ReadOnlyMemory<char>>[b];
        var starts = new VBuffer<int>[b]; var ends = new VBuffer<int>[b];
        var spanTexts = new VBuffer<ReadOnlyMemory<char>>[b]; var scores = new VBuffer<float>[b];
        for (int r = 0; r < b; r++)
        {
            var words = texts[r].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var predictions = TokenTagDecoder.ToWords(wordIds[r], probabilities.AsSpan(r * tokens * c, wordIds[r].Count * c), c, words.Length);
            var wordTags = TokenTagDecoder.ToTags(predictions, labels);
            var spans = TokenTagDecoder.ToEntitySpans(texts[r], WordOffsets.Locate(texts[r], words), wordTags, predictions.Probabilities);
            tags[r] = Texts(wordTags);
            types[r] = Texts(spans.Select(s => s.Type));
            starts[r] = new VBuffer<int>(spans.Count, spans.Select(s => s.Start).ToArray());
            ends[r] = new VBuffer<int>(spans.Count, spans.Select(s => s.End).ToArray());
            spanTexts[r] = Texts(spans.Select(s => s.Text));
            scores[r] = new VBuffer<float>(spans.Count, spans.Select(s => s.Confidence).ToArray());
        }
        return [tags, types, starts, ends, spanTexts, scores];
    }

    static VBuffer<ReadOnlyMemory<char>> Texts(IEnumerable<string> items)
    {
        var values = items.Select(s => s.AsMemory()).ToArray();
        return new VBuffer<ReadOnlyMemory<char>>(values.Length, values);
    }
}
