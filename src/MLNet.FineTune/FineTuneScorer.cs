using MLNet.FineTune.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.WeightPacking;
using MLNet.FineTune.Scoring;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune;

/// <summary>
/// Scores batches of texts with a fitted <see cref="TaskNetwork"/>: tokenize, pad to the longest row, one encoder pass
/// under no_grad in eval mode, then every head decodes its own output columns. Holds no per-call mutable state, so
/// several threads may score at once (each call runs in its own dispose scope).
/// </summary>
internal sealed class FineTuneScorer : IBatchScorer
{
    readonly TaskNetwork network;
    readonly TransformerTokenizer tokenizer;
    readonly EncoderInputLimits limits;
    readonly TruncationStrategy truncation;
    readonly bool[] tokenLevel;
    readonly PackedWeightScoring packs = new(); // the encoder's weights in MKL's packed layout, for short inputs

    /// <summary>
    /// <c>maxLength</c> is the MaxSequenceLength asked for (<see cref="MaxLength"/> is what the encoder takes); with
    /// <c>maxLengthMayShrink</c> (a defaulted option, a saved model) a longer one is shortened to the encoder's positions
    /// instead of refused; <c>model</c> names the model in messages.
    /// </summary>
    public FineTuneScorer(TaskNetwork network, TransformerTokenizer tokenizer, IReadOnlyList<string> inputColumns, string outputPrefix,
        int maxLength, TruncationStrategy truncation, int batchSize, bool maxLengthMayShrink = true, string model = "the model (config.json)")
    {
        this.network = network; this.tokenizer = tokenizer; this.truncation = truncation;
        // The tokenizer meets the encoder here, in training and in a loaded model alike: ids must fit its embedding tables.
        limits = EncoderInputLimits.Create(network.Encoder.Config, tokenizer, maxLength, maxLengthMayShrink,
            network.Peft?.VirtualTokens ?? 0, inputColumns.Count > 1, model);
        InputColumnNames = inputColumns; BatchSize = batchSize;
        OutputColumns = network.Tasks.SelectMany(t => t.OutputColumns(network.Tasks.Count == 1 ? outputPrefix : outputPrefix + t.Name + ".")).ToList();
        tokenLevel = network.Tasks.Select(t => t.IsTokenLevel).ToArray();
    }

    /// <summary>Tokens per row the encoder is fed at most (MaxSequenceLength, shortened to the model's positions when allowed).</summary>
    public int MaxLength => limits.MaxLength;

    /// <summary>How the inputs were fitted to the model (for the training log).</summary>
    public IReadOnlyList<string> Notes => limits.Notes;

    public IReadOnlyList<string> InputColumnNames { get; }
    public IReadOnlyList<ScoredColumn> OutputColumns { get; }
    public int BatchSize { get; }

    public Array[] Score(IReadOnlyList<object?[]> inputs)
    {
        var texts = Texts(inputs[0]);
        var encodings = Encode(texts, inputs.Count > 1 ? Texts(inputs[1]) : null);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var packed = packs.Activate();
        network.eval();
        var batch = TextBatchCollator.Collate(encodings, null, tokenizer.PadTokenId, tokenLevel);
        var logits = network.Forward(batch);
        var columns = new List<Array>();
        for (int h = 0; h < network.Tasks.Count; h++) columns.AddRange(network.Tasks[h].Decode(logits[h], encodings, texts));
        return columns.ToArray();
    }

    /// <summary>
    /// Tokenizes rows. With a token-level head the text is a sequence of space-separated words (one tag each), encoded
    /// as pre-split words so that word ids index exactly those words; otherwise it is free text.
    /// Every row is checked against the encoder's tables before it can reach libtorch.
    /// </summary>
    public EncodedInput[] Encode(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs) => tokenLevel.Any(x => x)
        ? texts.Select((t, i) => limits.Check(tokenizer.EncodeWords(Words(t), pairs is null ? null : Words(pairs[i]), MaxLength, truncation), $"Row {i}")).ToArray()
        : texts.Select((t, i) => limits.Check(tokenizer.Encode(t ?? "", pairs is null ? null : pairs[i] ?? "", MaxLength, truncation), $"Row {i}")).ToArray();

    static string[] Texts(object?[] column) => Array.ConvertAll(column, v => v as string ?? "");

    static string[] Words(string? text) => (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
