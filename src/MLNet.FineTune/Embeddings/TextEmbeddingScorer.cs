using Microsoft.ML.Data;
using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.WeightPacking;
using MLNet.FineTune.Scoring;
using MLNet.FineTune.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Embeddings;

/// <summary>
/// Embeds batches of texts: tokenize, pad to the longest row, one encoder pass under no_grad, pool the real tokens,
/// truncate (Matryoshka) and L2-normalise. Holds no per-call mutable state, so several threads may embed at once
/// (each call runs in its own dispose scope; libtorch's grad mode is per thread).
/// </summary>
internal sealed class TextEmbeddingScorer : IBatchScorer
{
    readonly EncoderModel encoder;
    readonly TransformerTokenizer tokenizer;
    readonly EncoderInputLimits limits;
    readonly EmbeddingSettings settings;
    readonly PackedWeightScoring packs = new(); // the encoder's weights in MKL's packed layout, for short inputs

    public TextEmbeddingScorer(EncoderModel encoder, TransformerTokenizer tokenizer, EmbeddingSettings settings, bool maxLengthMayShrink, string model)
    {
        this.encoder = encoder; this.tokenizer = tokenizer; this.settings = settings;
        // The tokenizer meets the encoder here: ids must fit its embedding tables, lengths its positions.
        limits = EncoderInputLimits.Create(encoder.Config, tokenizer, settings.MaxSequenceLength, maxLengthMayShrink, 0, false, model);
        InputColumnNames = new[] { settings.InputColumn };
        OutputColumns = new[] { new ScoredColumn(settings.OutputColumn, new VectorDataViewType(NumberDataViewType.Single, settings.Dimensions)) };
    }

    /// <summary>Tokens per text the encoder is fed at most.</summary>
    public int MaxLength => limits.MaxLength;

    public IReadOnlyList<string> InputColumnNames { get; }
    public IReadOnlyList<ScoredColumn> OutputColumns { get; }
    public int BatchSize => settings.BatchSize;

    public Array[] Score(IReadOnlyList<object?[]> inputs)
    {
        var vectors = Embed(Array.ConvertAll(inputs[0], v => v as string ?? ""));
        return new Array[] { Array.ConvertAll(vectors, v => new VBuffer<float>(v.Length, v)) };
    }

    /// <summary>One vector of <see cref="EmbeddingSettings.Dimensions"/> floats per text (an empty text embeds [CLS] [SEP]).</summary>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        if (texts.Count == 0) return Array.Empty<float[]>();
        var encodings = texts.Select((t, i) => limits.Check(tokenizer.Encode(t ?? "", null, MaxLength, TruncationStrategy.LongestFirst), $"Row {i}")).ToArray();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var packed = packs.Activate();
        var batch = TextBatchCollator.Collate(encodings, null, tokenizer.PadTokenId, Array.Empty<bool>());
        using var output = encoder.Forward(new EncoderInput(batch.AttentionMask, batch.InputIds, batch.TokenTypeIds, PaddingUnread: true)); // pooling masks padding
        var pooled = Pool(output.LastHiddenState, batch.AttentionMask, settings.Pooling);
        var result = Finish(pooled, settings.Dimensions, settings.Normalize).contiguous().data<float>().ToArray();
        int d = settings.Dimensions;
        return Enumerable.Range(0, texts.Count).Select(r => result.AsSpan(r * d, d).ToArray()).ToArray();
    }

    /// <summary>(B, T, H) token states and a (B, T) 1/0 mask → (B, H); padded positions never contribute.</summary>
    internal static Tensor Pool(Tensor hidden, Tensor attentionMask, EmbeddingPooling pooling)
    {
        var mask = attentionMask.to(hidden.dtype).unsqueeze(-1); // (B, T, 1)
        // Scalars disposed here, not left to the finalizer: this runs twice per contrastive training step (see Modeling.ScalarFree).
        using var minCount = 1e-9.ToScalar();
        using var padded = (-1e9).ToScalar();
        return pooling switch
        {
            // sentence-transformers: sum(states * mask) / clamp(sum(mask), 1e-9)
            EmbeddingPooling.Mean => (hidden * mask).sum(1).div(mask.sum(1).clamp_min(minCount)),
            EmbeddingPooling.Cls => hidden.select(1, 0),
            // sentence-transformers sets padded states to -1e9 before the max.
            // amax, not max(1): TorchSharp's max(dim) leaves a finalizable object per call; the values are the same.
            EmbeddingPooling.Max => hidden.masked_fill(mask.logical_not(), padded).amax([1]),
            _ => throw new ArgumentOutOfRangeException(nameof(pooling), pooling, null),
        };
    }

    /// <summary>Matryoshka: keep the first <paramref name="dimensions"/>, then L2-normalise (as sentence-transformers' Normalize: eps 1e-12).</summary>
    internal static Tensor Finish(Tensor pooled, int dimensions, bool normalize)
    {
        var kept = dimensions < pooled.shape[1] ? pooled.narrow(1, 0, dimensions) : pooled;
        return normalize ? nn.functional.normalize(kept, p: 2, dim: 1, eps: 1e-12) : kept;
    }
}

/// <summary>How a fitted embedding transformer reads, pools and shapes its output; saved with the model.</summary>
internal sealed record EmbeddingSettings(string InputColumn, string OutputColumn, EmbeddingPooling Pooling, bool Normalize, int Dimensions,
    int MaxSequenceLength, int BatchSize);
