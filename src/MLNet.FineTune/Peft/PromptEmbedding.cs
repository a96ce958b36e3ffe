using MLNet.FineTune.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft;

/// <summary>
/// Prompt tuning's learned virtual tokens (PEFT's PromptEmbedding, parameter <c>embedding.weight</c> (N, H)). As PEFT's
/// PeftModelForSequenceClassification / ForTokenClassification do, it prepends them to the word embeddings, extends
/// the attention mask with ones and the token type ids with zeros; the encoder numbers positions over the longer
/// sequence itself. Sequence heads then read position 0, which is the first virtual token (PEFT's behaviour:
/// BERT's pooler takes hidden[:, 0]); token heads should drop the first N positions (<see cref="DropVirtualTokens"/>).
/// </summary>
internal sealed class PromptEmbedding : nn.Module
{
    readonly nn.Module<Tensor, Tensor> embedding;

    public PromptEmbedding(EncoderModel encoder, PromptTuningOptions options) : base(nameof(PromptEmbedding))
    {
        options.Validate();
        NumVirtualTokens = options.NumVirtualTokens;
        var config = encoder.Config;
        int usable = EncoderInputLimits.UsablePositions(config);
        MaxRealTokens = usable - NumVirtualTokens;
        if (MaxRealTokens <= 0)
            throw new ArgumentException($"{NumVirtualTokens} virtual tokens leave no room for text: the encoder has {usable} positions.");
        embedding = nn.Embedding(NumVirtualTokens, config.HiddenSize);
        if (options.InitTokenIds is { } ids)
        {
            foreach (long id in ids)
                if (id < 0 || id >= config.VocabSize)
                    throw new ArgumentOutOfRangeException(nameof(options), $"PromptTuning.InitTokenIds holds id {id}, outside the encoder's vocab_size {config.VocabSize} (ids 0..{config.VocabSize - 1}).");
            InitFromTokens(encoder, ids);
        }
        RegisterComponents();
    }

    public int NumVirtualTokens { get; }
    /// <summary>The longest tokenized text that still fits the encoder's positions beside the virtual tokens.</summary>
    public int MaxRealTokens { get; }
    /// <summary>Index of the first real token in the encoder's output (= <see cref="NumVirtualTokens"/>).</summary>
    public int RealTokenStart => NumVirtualTokens;
    /// <summary>(N, H) learned prompt.</summary>
    public Tensor Weight => embedding.parameters().First();

    void InitFromTokens(EncoderModel encoder, IReadOnlyList<long> ids)
    {
        // PEFT: cut to N ids, or repeat the ids until there are N.
        var chosen = Enumerable.Range(0, NumVirtualTokens).Select(i => ids[i % ids.Count]).ToArray();
        using var _ = no_grad();
        using var idTensor = tensor(chosen, device: Weight.device);
        using var words = encoder.EmbedWords(idTensor.unsqueeze(0)).squeeze(0);
        Weight.copy_(words);
    }

    /// <summary>The encoder input with the virtual tokens in front: embeddings (B, N+T, H), mask and token types (B, N+T).</summary>
    public EncoderInput Prepend(EncoderModel encoder, EncoderInput input)
    {
        var words = input.InputsEmbeds ?? encoder.EmbedWords(input.InputIds ?? throw new ArgumentException("Give InputIds or InputsEmbeds."));
        long b = words.size(0), t = words.size(1);
        if (t > MaxRealTokens)
            throw new ArgumentException($"Sequence length {t} plus {NumVirtualTokens} virtual tokens exceeds the encoder's positions; truncate texts to {MaxRealTokens} tokens.");
        var device = words.device;
        var prompts = embedding.call(ScalarFree.Range(0, NumVirtualTokens, device)).unsqueeze(0).expand(b, -1, -1);
        var embeds = cat(new[] { prompts.to(words.dtype), words }, 1);                                        // (B, N+T, H)
        var mask = cat(new[] { ones(b, NumVirtualTokens, input.AttentionMask.dtype, device), input.AttentionMask }, 1);
        var types = input.TokenTypeIds is null ? null
            : cat(new[] { zeros(b, NumVirtualTokens, input.TokenTypeIds.dtype, device), input.TokenTypeIds }, 1);
        return new EncoderInput(mask, null, types, embeds, input.PaddingUnread);
    }

    /// <summary>(B, N+T, …) → (B, T, …): the real tokens' states, for token-level heads.</summary>
    public Tensor DropVirtualTokens(Tensor states) => states[TensorIndex.Colon, TensorIndex.Slice(NumVirtualTokens)];
}
