using MLNet.FineTune.Modeling.Decoding;
using TorchSharp;
using TorchSharp.Modules;
using MLNet.FineTune.Modeling.WeightPacking;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Gpt2;

/// <summary>
/// GPT-2 (GPT2LMHeadModel in transformers): token + learned position embeddings, N pre-LN blocks, a final LayerNorm,
/// and an lm_head tied to the token embeddings (no weight of its own). Parameter names are the checkpoint's
/// (<c>transformer.h.0.attn.c_attn.weight</c>…), but GPT-2's Conv1D projections are held as <c>nn.Linear</c> with the
/// weight transposed to [out, in] (<see cref="Gpt2Checkpoint"/> converts on load and save): one projection type for every
/// model means one LoRA implementation, and PEFT's <c>fan_in_fan_out</c> only concerns the file layout.
/// </summary>
internal sealed class Gpt2LMHeadModel : nn.Module, ICausalLanguageModel
{
    readonly Gpt2Model transformer;

    public Gpt2LMHeadModel(DecoderConfig config, DecoderProjectionFactory? projection = null) : base(nameof(Gpt2LMHeadModel))
    {
        Config = config;
        transformer = new Gpt2Model(config, projection ?? DecoderProjections.Plain);
        RegisterComponents();
    }

    public DecoderConfig Config { get; }
    public nn.Module Module => this;
    public KvCache NewCache(long? capacity = null) => new(Config.NumLayers, capacity);
    public Tensor HiddenStates(DecoderInput input) => transformer.call(input);

    public Tensor LanguageModelHead(Tensor hidden) => nn.functional.linear(hidden, transformer.wte.weight!);

    /// <summary>The <c>transformer.*</c> body (GPT2Model).</summary>
    sealed class Gpt2Model : nn.Module<DecoderInput, Tensor>
    {
        public readonly Embedding wte, wpe;
        readonly nn.Module<Tensor, Tensor> drop;
        readonly ModuleList<Gpt2Block> h = new();
        readonly LayerNorm ln_f;
        readonly DecoderConfig config;

        public Gpt2Model(DecoderConfig config, DecoderProjectionFactory projection) : base(nameof(Gpt2Model))
        {
            this.config = config;
            wte = nn.Embedding(config.VocabSize, config.HiddenSize);
            wpe = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
            drop = new VectorizedDropout(config.EmbeddingDropout);
            for (int i = 0; i < config.NumLayers; i++) h.Add(new Gpt2Block(config, i, projection));
            ln_f = nn.LayerNorm(config.HiddenSize, config.NormEps);
            RegisterComponents();
        }

        public override Tensor forward(DecoderInput input)
        {
            using var scope = NewDisposeScope();
            var ids = input.InputIds;
            long b = ids.size(0), t = ids.size(1), past = input.Cache?.Length ?? 0;
            if (past + t > config.MaxPositionEmbeddings)
                throw new ArgumentException($"GPT-2 has {config.MaxPositionEmbeddings} learned positions (n_positions); this step needs {past + t}. Shorten the prompt or max new tokens.");
            var positions = input.PositionIds ?? DecoderMasks.DefaultPositionIds(b, t, past, ids.device);
            var x = drop.call(wte.call(ids).Plus(wpe.call(positions)));
            var mask = DecoderMasks.Additive(b, t, past, input.AttentionMask, null, x.dtype, x.device, input.SequenceIds);
            foreach (var block in h)
            {
                using var layerScope = NewDisposeScope();
                x = block.Forward(x, mask, input.Cache).MoveToOuterDisposeScope();
            }
            return ln_f.call(x).MoveToOuterDisposeScope();
        }
    }

    /// <summary>One block <c>transformer.h.N</c>: x + attn(ln_1(x)), then x + mlp(ln_2(x)).</summary>
    sealed class Gpt2Block : nn.Module
    {
        readonly LayerNorm ln_1, ln_2;
        readonly Gpt2Attention attn;
        readonly Gpt2Mlp mlp;

        public Gpt2Block(DecoderConfig config, int index, DecoderProjectionFactory projection) : base(nameof(Gpt2Block))
        {
            var path = $"transformer.h.{index}";
            ln_1 = nn.LayerNorm(config.HiddenSize, config.NormEps);
            attn = new Gpt2Attention(config, index, $"{path}.attn", projection);
            ln_2 = nn.LayerNorm(config.HiddenSize, config.NormEps);
            mlp = new Gpt2Mlp(config, $"{path}.mlp", projection);
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor mask, KvCache? cache)
        {
            using var scope = NewDisposeScope();
            x = x.Plus(attn.Forward(ln_1.call(x), mask, cache));
            return x.Plus(mlp.call(ln_2.call(x))).MoveToOuterDisposeScope();
        }
    }

    /// <summary><c>attn.c_attn</c> (fused q, k, v) and <c>attn.c_proj</c>.</summary>
    sealed class Gpt2Attention : nn.Module
    {
        readonly nn.Module<Tensor, Tensor> c_attn, c_proj;
        readonly nn.Module<Tensor, Tensor> resid_dropout;
        readonly int layer, heads, headDim;
        readonly double attentionDropout;

        public Gpt2Attention(DecoderConfig config, int layer, string path, DecoderProjectionFactory projection) : base(nameof(Gpt2Attention))
        {
            this.layer = layer; heads = config.NumHeads; headDim = config.HeadDim; attentionDropout = config.AttentionDropout;
            c_attn = projection($"{path}.c_attn", config.HiddenSize, 3L * config.HiddenSize, true);
            c_proj = projection($"{path}.c_proj", config.HiddenSize, config.HiddenSize, true);
            resid_dropout = new VectorizedDropout(config.ResidualDropout);
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor mask, KvCache? cache)
        {
            using var scope = NewDisposeScope();
            long b = x.size(0), t = x.size(1);
            var qkv = PackedWeightScoring.Project(c_attn, x).view(b, t, 3, heads, headDim).permute(2, 0, 3, 1, 4); // (3, B, heads, T, D)
            var context = CausalSelfAttention.Attend(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2), mask, layer, cache, training ? attentionDropout : 0.0);
            return resid_dropout.call(PackedWeightScoring.Project(c_proj, context)).MoveToOuterDisposeScope();
        }
    }

    /// <summary><c>mlp.c_fc</c> → activation → <c>mlp.c_proj</c>.</summary>
    sealed class Gpt2Mlp : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> c_fc, c_proj;
        readonly nn.Module<Tensor, Tensor> dropout;
        readonly Func<Tensor, Tensor> act;

        public Gpt2Mlp(DecoderConfig config, string path, DecoderProjectionFactory projection) : base(nameof(Gpt2Mlp))
        {
            c_fc = projection($"{path}.c_fc", config.HiddenSize, config.IntermediateSize, true);
            c_proj = projection($"{path}.c_proj", config.IntermediateSize, config.HiddenSize, true);
            dropout = new VectorizedDropout(config.ResidualDropout);
            act = Activations.Get(config.HiddenAct);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            return dropout.call(PackedWeightScoring.Project(c_proj, act(PackedWeightScoring.Project(c_fc, x)))).MoveToOuterDisposeScope();
        }
    }
}
