using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Modeling.WeightPacking;
using static TorchSharp.torch;

namespace MLNet.FineTune.Generation;

/// <summary>
/// The autoregressive loop for a batch of prompts, one <see cref="Step"/> per new token. Prompts are left-padded into
/// one (B, T) batch, position ids follow the attention mask (cumsum − 1, as <c>generate()</c>), so each row computes
/// what it would alone. With the cache, the first step runs the prompts and later steps only the previous tokens;
/// without it every step reruns the whole sequence. Rows that ended keep receiving the pad token (masked) until the
/// batch is done, as HF does. Each step frees its tensors: memory is the cache plus one step, whatever the length.
/// </summary>
internal sealed class DecodingSession : IDisposable
{
    readonly ICausalLanguageModel model;
    readonly GenerationOptions options;
    readonly PackedWeightScoring? packedWeights;
    readonly TokenSampler sampler;
    readonly KvCache? cache;
    readonly HashSet<int> eos;
    readonly long pad;
    readonly bool[] finished;
    readonly List<int>[] generated;
    Tensor sequence;      // (B, S) every token so far, padding included
    Tensor attentionMask; // (B, S)
    bool first = true;

    public DecodingSession(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, PackedWeightScoring? packedWeights = null)
    {
        options.Validate();
        if (prompts.Count == 0) throw new ArgumentException("Give at least one prompt.", nameof(prompts));
        if (prompts.Any(p => p.Count == 0)) throw new ArgumentException("Every prompt needs at least one token (a model has nothing to continue from an empty prompt; tokenizers of Llama-family models add BOS).", nameof(prompts));
        var config = model.Config;
        foreach (var id in prompts.SelectMany(p => p))
            if (id < 0 || id >= config.VocabSize) throw new ArgumentException($"Prompt token id {id} is outside the model's vocabulary (0 to {config.VocabSize - 1}).", nameof(prompts));
        int longest = prompts.Max(p => p.Count);
        if (config.Family == DecoderFamily.Gpt2 && longest + options.MaxNewTokens > config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxNewTokens,
                $"GenerationOptions.MaxNewTokens = {options.MaxNewTokens} with a {longest}-token prompt exceeds GPT-2's {config.MaxPositionEmbeddings} learned positions; lower MaxNewTokens or shorten the prompt.");
        this.model = model; this.options = options; this.packedWeights = packedWeights;
        eos = (options.EosTokenIds ?? config.EosTokenIds).ToHashSet();
        pad = options.PadTokenId ?? config.PadTokenId ?? (eos.Count > 0 ? eos.First() : 0);
        finished = new bool[prompts.Count];
        generated = prompts.Select(_ => new List<int>()).ToArray();
        Reasons = new FinishReason[prompts.Count];
        var ids = new long[prompts.Count * longest];
        var mask = new long[ids.Length];
        for (int r = 0; r < prompts.Count; r++)
            for (int i = 0; i < longest; i++)
            {
                int offset = i - (longest - prompts[r].Count); // left padding
                ids[r * longest + i] = offset >= 0 ? prompts[r][offset] : pad;
                mask[r * longest + i] = offset >= 0 ? 1 : 0;
            }
        sequence = tensor(ids, new long[] { prompts.Count, longest });
        attentionMask = tensor(mask, new long[] { prompts.Count, longest });
        sampler = new TokenSampler(options.DoSample, options.Seed);
        cache = options.UseCache ? model.NewCache(capacity: longest + options.MaxNewTokens) : null; // preallocated: no growing blocks per step
    }

    public int Rows => finished.Length;
    public IReadOnlyList<int> Generated(int row) => generated[row];
    public FinishReason[] Reasons { get; }
    public bool IsFinished(int row) => finished[row];
    public bool AllFinished => finished.All(f => f);
    public int Steps { get; private set; }

    /// <summary>Ends a row (stop sequence, cancellation): later steps give it pad tokens.</summary>
    public void Finish(int row, FinishReason reason)
    {
        if (finished[row]) return;
        finished[row] = true;
        Reasons[row] = reason;
    }

    /// <summary>Computes one token per row; returns each row's new token, or −1 for rows that had already ended (or ended on eos now).</summary>
    public int[] Step()
    {
        if (Steps >= options.MaxNewTokens) throw new InvalidOperationException("MaxNewTokens reached.");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var positions = DecoderMasks.PositionIds(attentionMask);
        DecoderInput input = cache is null || first
            ? new DecoderInput(sequence, attentionMask, positions, cache)
            : new DecoderInput(sequence.narrow(1, sequence.size(1) - 1, 1), attentionMask, positions.narrow(1, positions.size(1) - 1, 1), cache);
        first = false;
        Tensor hidden;
        using (packedWeights?.Activate()) hidden = model.HiddenStates(input);
        var logits = model.LanguageModelHead(hidden.select(1, hidden.size(1) - 1)).to_type(ScalarType.Float32); // (B, V)
        logits = LogitsProcessors.Apply(logits, sequence, options);
        var next = sampler.Next(logits).to_type(ScalarType.Int64).cpu();
        var chosen = TensorMemory.ToInt64Array(next); // data<long>() would leave its accessor to the finalizer every token
        var result = new int[Rows];
        for (int r = 0; r < Rows; r++)
        {
            if (finished[r]) { chosen[r] = pad; result[r] = -1; continue; }
            if (eos.Contains((int)chosen[r])) { Finish(r, FinishReason.EndOfSequence); result[r] = -1; continue; }
            generated[r].Add((int)chosen[r]);
            result[r] = (int)chosen[r];
        }
        var column = TensorMemory.FromInt64(chosen, Rows, 1);
        // A row that ended gets masked pad tokens, so it does not disturb the others.
        var maskColumn = TensorMemory.FromInt64(result.Select(t => t >= 0 ? 1L : 0L).ToArray(), Rows, 1);
        Replace(ref sequence, TensorMemory.Concat(sequence, column, 1));
        Replace(ref attentionMask, TensorMemory.Concat(attentionMask, maskColumn, 1));
        Steps++;
        if (Steps >= options.MaxNewTokens)
            for (int r = 0; r < Rows; r++) Finish(r, FinishReason.Length);
        return result;
    }

    static void Replace(ref Tensor field, Tensor next)
    {
        var old = field;
        field = next.DetachFromDisposeScope();
        old.Dispose();
    }

    public void Dispose()
    {
        sequence.Dispose();
        attentionMask.Dispose();
        cache?.Dispose();
        sampler.Dispose();
    }
}
