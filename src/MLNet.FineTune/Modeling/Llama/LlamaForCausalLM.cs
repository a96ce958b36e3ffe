using MLNet.FineTune.Modeling.Decoding;
using TorchSharp;
using TorchSharp.Modules;
using MLNet.FineTune.Modeling.WeightPacking;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Llama;

/// <summary>
/// Llama (LlamaForCausalLM in transformers) and the same family: token embeddings, N pre-norm blocks of RMSNorm →
/// rotary grouped-query attention and RMSNorm → SwiGLU MLP, a final RMSNorm, and an lm_head that is its own matrix or
/// (<c>tie_word_embeddings</c>) the embeddings. Qwen2 adds q/k/v biases, Mistral a sliding window; both come from the
/// config. Parameter names are the checkpoint's (<c>model.layers.0.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>).
/// </summary>
internal sealed class LlamaForCausalLM : nn.Module, ICausalLanguageModel
{
    readonly LlamaModel model;
    readonly Linear? lm_head;

    public LlamaForCausalLM(DecoderConfig config, DecoderProjectionFactory? projection = null) : base(nameof(LlamaForCausalLM))
    {
        Config = config;
        model = new LlamaModel(config, projection ?? DecoderProjections.Plain);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    public DecoderConfig Config { get; }
    public nn.Module Module => this;
    public KvCache NewCache(long? capacity = null) => new(Config.NumLayers, capacity);
    public Tensor HiddenStates(DecoderInput input) => model.call(input);
    public Tensor LanguageModelHead(Tensor hidden) => lm_head is null ? nn.functional.linear(hidden, model.embed_tokens.weight!) : lm_head.call(hidden);

    protected override void Dispose(bool disposing)
    {
        if (disposing) model.Rotary.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>The <c>model.*</c> body (LlamaModel).</summary>
    sealed class LlamaModel : nn.Module<DecoderInput, Tensor>
    {
        public readonly Embedding embed_tokens;
        readonly ModuleList<LlamaDecoderLayer> layers = new();
        readonly RmsNorm norm;
        readonly DecoderConfig config;

        public LlamaModel(DecoderConfig config, DecoderProjectionFactory projection) : base(nameof(LlamaModel))
        {
            this.config = config;
            embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
            for (int i = 0; i < config.NumLayers; i++) layers.Add(new LlamaDecoderLayer(config, i, projection));
            norm = new RmsNorm(config.HiddenSize, config.NormEps);
            RegisterComponents();
            Rotary = new RotaryEmbedding(config.HeadDim, config.RopeTheta);
        }

        public RotaryEmbedding Rotary { get; }

        public override Tensor forward(DecoderInput input)
        {
            using var scope = NewDisposeScope();
            var ids = input.InputIds;
            long b = ids.size(0), t = ids.size(1), past = input.Cache?.Length ?? 0;
            var x = embed_tokens.call(ids);
            var positions = input.PositionIds ?? DecoderMasks.DefaultPositionIds(b, t, past, ids.device);
            var (cos, sin) = Rotary.For(positions, x.dtype);
            var mask = DecoderMasks.Additive(b, t, past, input.AttentionMask, config.SlidingWindow, x.dtype, x.device, input.SequenceIds);
            foreach (var layer in layers)
            {
                using var layerScope = NewDisposeScope();
                x = layer.Forward(x, mask, cos, sin, input.Cache).MoveToOuterDisposeScope();
            }
            return norm.call(x).MoveToOuterDisposeScope();
        }
    }

    /// <summary><c>model.layers.N</c>: x + self_attn(input_layernorm(x)), then x + mlp(post_attention_layernorm(x)).</summary>
    sealed class LlamaDecoderLayer : nn.Module
    {
        readonly RmsNorm input_layernorm, post_attention_layernorm;
        readonly LlamaAttention self_attn;
        readonly LlamaMlp mlp;

        public LlamaDecoderLayer(DecoderConfig config, int index, DecoderProjectionFactory projection) : base(nameof(LlamaDecoderLayer))
        {
            var path = $"model.layers.{index}";
            input_layernorm = new RmsNorm(config.HiddenSize, config.NormEps);
            self_attn = new LlamaAttention(config, index, $"{path}.self_attn", projection);
            post_attention_layernorm = new RmsNorm(config.HiddenSize, config.NormEps);
            mlp = new LlamaMlp(config, $"{path}.mlp", projection);
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor mask, Tensor cos, Tensor sin, KvCache? cache)
        {
            using var scope = NewDisposeScope();
            x = x.Plus(self_attn.Forward(input_layernorm.call(x), mask, cos, sin, cache));
            return x.Plus(mlp.call(post_attention_layernorm.call(x))).MoveToOuterDisposeScope();
        }
    }

    /// <summary><c>self_attn.{q,k,v,o}_proj</c> with rotary embeddings and grouped-query attention.</summary>
    sealed class LlamaAttention : nn.Module
    {
        readonly nn.Module<Tensor, Tensor> q_proj, k_proj, v_proj, o_proj;
        readonly int layer, heads, kvHeads, headDim;
        readonly double dropout;

        public LlamaAttention(DecoderConfig config, int layer, string path, DecoderProjectionFactory projection) : base(nameof(LlamaAttention))
        {
            this.layer = layer; heads = config.NumHeads; kvHeads = config.NumKeyValueHeads; headDim = config.HeadDim; dropout = config.AttentionDropout;
            q_proj = projection($"{path}.q_proj", config.HiddenSize, (long)heads * headDim, config.QkvBias);
            k_proj = projection($"{path}.k_proj", config.HiddenSize, (long)kvHeads * headDim, config.QkvBias);
            v_proj = projection($"{path}.v_proj", config.HiddenSize, (long)kvHeads * headDim, config.QkvBias);
            o_proj = projection($"{path}.o_proj", (long)heads * headDim, config.HiddenSize, config.OutputProjectionBias);
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor mask, Tensor cos, Tensor sin, KvCache? cache)
        {
            using var scope = NewDisposeScope();
            long b = x.size(0), t = x.size(1);
            var q = RotaryEmbedding.Apply(PackedWeightScoring.Project(q_proj, x).view(b, t, heads, headDim).transpose(1, 2), cos, sin);
            var k = RotaryEmbedding.Apply(PackedWeightScoring.Project(k_proj, x).view(b, t, kvHeads, headDim).transpose(1, 2), cos, sin);
            var v = PackedWeightScoring.Project(v_proj, x).view(b, t, kvHeads, headDim).transpose(1, 2);
            var context = CausalSelfAttention.Attend(q, k, v, mask, layer, cache, training ? dropout : 0.0);
            return PackedWeightScoring.Project(o_proj, context).MoveToOuterDisposeScope();
        }
    }

    /// <summary>SwiGLU: <c>down_proj(act(gate_proj(x)) · up_proj(x))</c>.</summary>
    sealed class LlamaMlp : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> gate_proj, up_proj, down_proj;
        readonly Func<Tensor, Tensor> act;

        public LlamaMlp(DecoderConfig config, string path, DecoderProjectionFactory projection) : base(nameof(LlamaMlp))
        {
            gate_proj = projection($"{path}.gate_proj", config.HiddenSize, config.IntermediateSize, config.MlpBias);
            up_proj = projection($"{path}.up_proj", config.HiddenSize, config.IntermediateSize, config.MlpBias);
            down_proj = projection($"{path}.down_proj", config.IntermediateSize, config.HiddenSize, config.MlpBias);
            act = Activations.Get(config.HiddenAct);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            return PackedWeightScoring.Project(down_proj, act(PackedWeightScoring.Project(gate_proj, x)) * PackedWeightScoring.Project(up_proj, x)).MoveToOuterDisposeScope();
        }
    }
}
