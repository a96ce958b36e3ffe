using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// The decoder workloads of issue #16's benchmarks, shared with bench/decoder_reference.py (which builds the same shapes
/// with transformers' GPT2LMHeadModel / LlamaForCausalLM): random weights, float32, batch 8 × 128 for a training step.
/// "gpt2": GPT-2 small (12 layers, 768 hidden, 12 heads, vocab 50257, 1024 positions, dropout 0.1 as GPT-2's config).
/// "llama": a small Llama (8 layers, 512 hidden, 8 heads / 4 key-value heads, SwiGLU 1408, vocab 32000, untied head,
/// rope θ 10000, no dropout). LoRA: r 8, alpha 16, no LoRA dropout, PEFT's default targets (c_attn; q_proj, v_proj).
/// </summary>
internal static class DecoderWorkload
{
    public const int Batch = 8, SequenceLength = 128, LoraRank = 8, LoraAlpha = 16;
    public const double LearningRate = 5e-5, WeightDecay = 0.01, MaxGradNorm = 1.0;

    public static DecoderConfig Config(string model) => model switch
    {
        "gpt2" => new DecoderConfig
        {
            ModelType = "gpt2", VocabSize = 50257, HiddenSize = 768, NumLayers = 12, NumHeads = 12, NumKeyValueHeads = 12,
            IntermediateSize = 3072, MaxPositionEmbeddings = 1024, HiddenAct = "gelu_new", NormEps = 1e-5, TieWordEmbeddings = true,
            QkvBias = true, OutputProjectionBias = true, MlpBias = true,
            ResidualDropout = 0.1, EmbeddingDropout = 0.1, AttentionDropout = 0.1, BosTokenId = 50256, EosTokenIds = [50256],
        },
        "llama" => new DecoderConfig
        {
            ModelType = "llama", VocabSize = 32000, HiddenSize = 512, NumLayers = 8, NumHeads = 8, NumKeyValueHeads = 4,
            IntermediateSize = 1408, MaxPositionEmbeddings = 2048, HiddenAct = "silu", NormEps = 1e-6, RopeTheta = 10000,
            BosTokenId = 1, EosTokenIds = [2],
        },
        _ => throw new ArgumentException($"Unknown decoder '{model}' (gpt2, llama)."),
    };

    /// <summary>The model with random weights (Hugging Face's init); with <paramref name="lora"/>, every projection wrapped and PEFT's default adapter added (base frozen).</summary>
    public static ICausalLanguageModel Create(string model, bool lora, long seed = 0)
    {
        var config = Config(model);
        using var stream = new TorchRandomStream(seed);
        var adapters = lora ? new DecoderLora(config.ModelType) : null;
        // Hugging Face's init (normal 0.02), as a scratch model of the estimator and transformers' own models get.
        var decoder = stream.Use(() =>
        {
            var model = DecoderFactory.Create(config, adapters?.Projection);
            HuggingFaceInit.Apply(model.Module);
            return model;
        });
        if (adapters is null) return decoder;
        adapters.Attach(decoder);
        stream.Use(() => adapters.AddAdapter("default", new LoraOptions { Rank = LoraRank, Alpha = LoraAlpha }));
        return decoder;
    }

    /// <summary>Random ids; as bench.py, the second half of the rows pads its last quarter (mask 0, label −100); labels are the ids elsewhere.</summary>
    public static (Tensor Ids, Tensor Mask, Tensor Labels) MakeBatch(DecoderConfig config, int batch, int sequenceLength, long seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        var ids = randint(0, config.VocabSize, new long[] { batch, sequenceLength }, dtype: ScalarType.Int64, generator: generator);
        var mask = ones(batch, sequenceLength, ScalarType.Int64);
        mask[TensorIndex.Slice(batch / 2), TensorIndex.Slice(sequenceLength - sequenceLength / 4)] = 0;
        var labels = ids.masked_fill(mask.eq(0), -100);
        return (ids, mask, labels);
    }
}
