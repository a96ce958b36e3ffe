using MLNet.FineTune.Modeling;

namespace MLNet.FineTune.Export;

/// <summary>What the encoder part of the graph hands to the heads.</summary>
/// <param name="Hidden">(B, N+T, H) last hidden state, virtual tokens included under prompt tuning.</param>
/// <param name="Pooled">(B, H) BERT's pooler output on position 0, or null.</param>
/// <param name="VirtualTokens">Prompt tuning's N (token heads drop them), else 0.</param>
internal sealed record EncoderValues(string Hidden, string? Pooled, int VirtualTokens);

/// <summary>
/// Writes BERT, RoBERTa and DistilBERT encoders as the TorchSharp modules compute them in eval mode (Modeling/Bert,
/// Modeling/DistilBert): embeddings + LayerNorm, per block self-attention with the additive mask ((1 − mask)·float.MinValue),
/// post-LN residuals, the configured activation (exact erf GELU by default), BERT's tanh pooler. BERT's layout is the one
/// torch.onnx gives (MatMul on [in, out] weights + Add bias, Reshape/Transpose head split, Mul by 1/√d, Add mask,
/// Softmax), so <c>Modeling/Onnx</c>'s importer reads an exported BERT encoder back. Prompt tuning's virtual tokens are
/// prepended to the word embeddings, the mask and the token types, as <c>Peft/PromptEmbedding</c> does.
/// </summary>
/// <param name="g">The graph being written.</param>
/// <param name="w">The model's weights (LoRA merged, adapters and prompt attached).</param>
/// <param name="fused">Write ONNX Runtime's fused contrib operators (Attention, BiasGelu) where
/// they express the computation (<see cref="OrtFusedOps"/>); such a graph runs only in ONNX Runtime and does not import back.</param>
internal sealed class EncoderGraph(OnnxGraphBuilder g, ExportWeights w, bool fused = false)
{
    readonly TransformerConfig config = w.Config;
    string mask = "";               // the (B, N+T) int64 attention mask the blocks read (prompt tokens included)
    string? additiveMask, maskIndex; // its float and int32 forms, written on first use

    /// <summary>The encoder on the graph inputs (names of int64 (B, T) values); <paramref name="pooler"/>: write BERT's pooler when the model has one (an embedding model never reads it).</summary>
    public EncoderValues Emit(string inputIds, string attentionMask, string? tokenTypeIds, bool pooler = true)
    {
        string p = w.Prefix.TrimEnd('.');
        var prompt = w.Peft?.Prompt;
        int virtualTokens = prompt?.NumVirtualTokens ?? 0;
        var words = g.Add("Gather", [g.Initializer(w.Tensor("embeddings.word_embeddings.weight")), inputIds], $"/{p}/embeddings/word_embeddings/Gather");
        string mask = attentionMask, types = tokenTypeIds ?? "";
        if (prompt is not null)
        {
            var table = g.Initializer(OnnxTensorData.Floats("prompt.embedding.weight", ExportWeights.Floats(prompt.Weight), [virtualTokens, config.HiddenSize]));
            var batch = g.Add("Shape", [inputIds], "/prompt/batch", ("start", 0L), ("end", 1L));                      // [B]
            var promptShape = g.Add("Concat", [batch, g.Ints(virtualTokens, config.HiddenSize)], "/prompt/shape", ("axis", 0L));
            var prompts = g.Add("Expand", [g.Add("Unsqueeze", [table, g.Ints(0)], "/prompt/unsqueeze"), promptShape], "/prompt/expand");
            words = g.Add("Concat", [prompts, words], "/prompt/words", ("axis", 1L));
            var extraShape = g.Add("Concat", [batch, g.Ints(virtualTokens)], "/prompt/extra_shape", ("axis", 0L));
            var ones = g.Add("ConstantOfShape", [extraShape], "/prompt/ones", ("value", OnnxTensorData.Longs("", [1], [1])));
            mask = g.Add("Concat", [ones, attentionMask], "/prompt/attention_mask", ("axis", 1L));
            if (tokenTypeIds is not null)
            {
                var zeros = g.Add("ConstantOfShape", [extraShape], "/prompt/zeros", ("value", OnnxTensorData.Longs("", [0], [1])));
                types = g.Add("Concat", [zeros, tokenTypeIds], "/prompt/token_type_ids", ("axis", 1L));
            }
        }
        var x = g.Add("Add", [words, Positions(p, inputIds, words, prompt is not null)], $"/{p}/embeddings/Add");
        if (tokenTypeIds is not null && config.TypeVocabSize > 0)
            x = g.Add("Add", [x, g.Add("Gather", [g.Initializer(w.Tensor("embeddings.token_type_embeddings.weight")), types], $"/{p}/embeddings/token_type_embeddings/Gather")], $"/{p}/embeddings/Add");
        x = LayerNorm(x, "embeddings.LayerNorm", $"/{p}/embeddings/LayerNorm");
        this.mask = mask;
        bool distil = config.ModelType == "distilbert";
        for (int i = 0; i < config.NumLayers; i++)
            x = Block(x, distil ? BlockNames.Distil($"transformer.layer.{i}") : BlockNames.Bert($"encoder.layer.{i}"));
        string? pooled = null;
        if (pooler && !distil && w.HasLinear("pooler.dense"))
        {
            var first = g.Add("Gather", [x, g.IntScalar(0)], $"/{p}/pooler/first_token", ("axis", 1L));
            pooled = g.Add("Tanh", [Linear(first, w.Linear("pooler.dense"), $"/{p}/pooler/dense")], $"/{p}/pooler/Tanh");
        }
        return new EncoderValues(x, pooled, virtualTokens);
    }

    /// <summary>
    /// (1, T) or (B, T) position ids looked up in the position table. BERT/DistilBERT and any model fed embeddings
    /// (prompt tuning): 0, 1, 2, … (RoBERTa: from pad + 1) sliced from a constant buffer; RoBERTa on ids: pad + cumsum(ids ≠ pad)·(ids ≠ pad).
    /// </summary>
    string Positions(string p, string inputIds, string words, bool fromEmbeddings)
    {
        var table = g.Initializer(w.Tensor("embeddings.position_embeddings.weight"));
        string ids;
        bool roberta = config.ModelType == "roberta";
        if (roberta && !fromEmbeddings)
        {
            var notPad = g.Add("Cast", [g.Add("Not", [g.Add("Equal", [inputIds, g.IntScalar(config.PadTokenId)], $"/{p}/embeddings/is_pad")], $"/{p}/embeddings/not_pad")],
                $"/{p}/embeddings/not_pad_int", ("to", (long)OnnxElement.Int64));
            var counted = g.Add("CumSum", [notPad, g.IntScalar(1)], $"/{p}/embeddings/CumSum");
            ids = g.Add("Add", [g.Add("Mul", [counted, notPad], $"/{p}/embeddings/position_mul"), g.IntScalar(config.PadTokenId)], $"/{p}/embeddings/position_ids");
        }
        else
        {
            long start = roberta ? config.PadTokenId + 1 : 0;
            var buffer = g.Initializer(OnnxTensorData.Longs(w.Prefix + "embeddings.position_ids",
                Enumerable.Range(0, config.MaxPositionEmbeddings).Select(i => (long)i).ToArray(), [config.MaxPositionEmbeddings]));
            var length = g.Add("Shape", [words], $"/{p}/embeddings/sequence_length", ("start", 1L), ("end", 2L)); // [T]
            var end = start == 0 ? length : g.Add("Add", [length, g.Ints(start)], $"/{p}/embeddings/position_end");
            var sliced = g.Add("Slice", [buffer, g.Ints(start), end, g.Ints(0)], $"/{p}/embeddings/position_ids_slice");
            ids = g.Add("Unsqueeze", [sliced, g.Ints(0)], $"/{p}/embeddings/position_ids");
        }
        return g.Add("Gather", [table, ids], $"/{p}/embeddings/position_embeddings/Gather");
    }

    /// <summary>(B, T) 1/0 → (B, 1, 1, T) float: 0 where attended, float.MinValue where padded (EncoderModel.AdditiveMask). Written once, when a block first needs it.</summary>
    string AdditiveMask()
    {
        if (additiveMask is not null) return additiveMask;
        var m = g.Add("Cast", [mask], "/attention_mask/Cast", ("to", (long)OnnxElement.Float));
        var inverted = g.Add("Sub", [g.Scalar(1f), m], "/attention_mask/Sub");
        var scaled = g.Add("Mul", [inverted, g.Scalar(float.MinValue)], "/attention_mask/Mul");
        return additiveMask = g.Add("Unsqueeze", [scaled, g.Ints(1, 2)], "/attention_mask/Unsqueeze");
    }

    /// <summary>The (B, T) int32 1/0 mask ONNX Runtime's Attention reads as its raw 2-D mask_index. Written once.</summary>
    string MaskIndex() => maskIndex ??= g.Add("Cast", [mask], "/attention_mask/Cast_int32", ("to", (long)OnnxElement.Int32));

    /// <summary>The parameter paths of one encoder block (BERT/RoBERTa or DistilBERT naming); node names follow them.</summary>
    sealed record BlockNames(string SelfAttention, string Q, string K, string V, string AttentionOutput, string AttentionNorm,
        string FfnInput, string FfnOutput, string OutputNorm)
    {
        public static BlockNames Bert(string path) => new($"{path}.attention.self", "query", "key", "value", $"{path}.attention.output.dense",
            $"{path}.attention.output.LayerNorm", $"{path}.intermediate.dense", $"{path}.output.dense", $"{path}.output.LayerNorm");

        public static BlockNames Distil(string path) => new($"{path}.attention", "q_lin", "k_lin", "v_lin", $"{path}.attention.out_lin",
            $"{path}.sa_layer_norm", $"{path}.ffn.lin1", $"{path}.ffn.lin2", $"{path}.output_layer_norm");
    }

    /// <summary>
    /// One post-LN block: LN(x + attention·Wo), then LN(a + act(a·Wi)·Wf). With <c>fused</c> the attention and
    /// the bias + GELU are ONNX Runtime contrib operators (<see cref="OrtFusedOps"/>); a part they cannot express (Q/K/V
    /// with bottleneck adapters, a non-erf activation or an adapter behind the FFN input) keeps the standard form.
    /// </summary>
    string Block(string x, BlockNames b)
    {
        ExportLinear q = w.Linear($"{b.SelfAttention}.{b.Q}"), k = w.Linear($"{b.SelfAttention}.{b.K}"), v = w.Linear($"{b.SelfAttention}.{b.V}");
        var context = fused && OrtFusedOps.CanPackQkv(q, k, v)
            ? OrtFusedOps.Attention(g, x, q, k, v, MaskIndex(), config.NumHeads, NodeName(b.SelfAttention))
            : SelfAttention(x, AdditiveMask(), [q, k, v], NodeName(b.SelfAttention));
        var attended = ResidualNorm(context, b.AttentionOutput, x, b.AttentionNorm);
        var ffnIn = w.Linear(b.FfnInput);
        var inner = fused && OrtFusedOps.CanBiasGelu(ffnIn, config.HiddenAct)
            ? OrtFusedOps.BiasGelu(g, attended, ffnIn, NodeName(b.FfnInput))
            : Activation(Linear(attended, ffnIn, NodeName(b.FfnInput)), config.HiddenAct, ParentName(b.FfnInput) + "/act");
        return ResidualNorm(inner, b.FfnOutput, attended, b.OutputNorm);
    }

    /// <summary>Node names follow parameter paths, as torch.onnx names them: <c>/bert/encoder/layer/0/output/dense</c>.</summary>
    string NodeName(string param) => $"/{w.Prefix.TrimEnd('.')}/{param.Replace('.', '/')}";

    string ParentName(string param) => NodeName(param[..param.LastIndexOf('.')]);

    /// <summary>
    /// LayerNorm(x·W + b (+ adapter) + residual). Standard ops in both forms: ONNX Runtime's SkipLayerNormalization was
    /// measured slower than its own Add + LayerNormalization on CPU (docs/benchmarks.md), so the fused form does not use it.
    /// </summary>
    string ResidualNorm(string x, string linear, string residual, string norm) =>
        LayerNorm(g.Add("Add", [Linear(x, w.Linear(linear), NodeName(linear)), residual], ParentName(linear) + "/Add"), norm, NodeName(norm));

    string Tensor(string name) => g.Initializer(w.Tensor(name));

    /// <summary>softmax(QKᵀ/√d + mask)·V with the heads merged back: (B, T, H), before the output projection.</summary>
    string SelfAttention(string x, string mask, ExportLinear[] qkv, string n)
    {
        long heads = config.NumHeads, d = config.HeadDim;
        var split = g.Ints(0, 0, heads, d);
        string Heads(ExportLinear l, long[] perm)
        {
            string name = l.Name[(l.Name.LastIndexOf('.') + 1)..];
            return g.Add("Transpose", [g.Add("Reshape", [Linear(x, l, $"{n}/{name}"), split], $"{n}/{name}/Reshape")], $"{n}/{name}/Transpose", ("perm", perm));
        }
        var query = Heads(qkv[0], [0, 2, 1, 3]);
        var key = Heads(qkv[1], [0, 2, 3, 1]);
        var value = Heads(qkv[2], [0, 2, 1, 3]);
        var scores = g.Add("Mul", [g.Add("MatMul", [query, key], $"{n}/scores"), g.Scalar((float)(1 / Math.Sqrt(d)))], $"{n}/scores/scale");
        var probs = g.Add("Softmax", [g.Add("Add", [scores, mask], $"{n}/scores/mask")], $"{n}/Softmax", ("axis", -1L));
        var context = g.Add("Transpose", [g.Add("MatMul", [probs, value], $"{n}/context")], $"{n}/context/Transpose", ("perm", new long[] { 0, 2, 1, 3 }));
        return g.Add("Reshape", [context, g.Ints(0, 0, config.HiddenSize)], $"{n}/context/Reshape");
    }

    string LayerNorm(string x, string param, string n) =>
        g.Add("LayerNormalization", [x, Tensor(param + ".weight"), Tensor(param + ".bias")], n,
            ("axis", -1L), ("epsilon", (float)config.LayerNormEps));

    /// <summary><c>x·W + b</c> (W stored [in, out]), then the bottleneck adapter behind the projection if there is one.</summary>
    public static string Linear(OnnxGraphBuilder g, string x, ExportLinear l, string n)
    {
        var y = g.Add("Add", [g.Add("MatMul", [x, Weight(g, l)], n + "/MatMul"), Bias(g, l)], n + "/Add");
        if (l.Adapter is not { } a) return y;
        var down = Activation(g, Linear(g, y, a.Down, n + "/adapter_down"), a.NonLinearity, n + "/adapter_act");
        return g.Add("Add", [y, Linear(g, down, a.Up, n + "/adapter_up")], n + "/adapter_residual");
    }

    string Linear(string x, ExportLinear l, string n) => Linear(g, x, l, n);

    /// <summary>A projection's [in, out] weight initializer, named <c>{name}.weight</c> (Int8Plan's rules read these names).</summary>
    public static string Weight(OnnxGraphBuilder g, ExportLinear l) => g.Initializer(OnnxTensorData.Floats(l.Name + ".weight", l.WeightInOut, [l.In, l.Out]));

    public static string Bias(OnnxGraphBuilder g, ExportLinear l) => g.Initializer(OnnxTensorData.Floats(l.Name + ".bias", l.Bias, [l.Out]));

    string Activation(string x, string name, string n) => Activation(g, x, name, n);

    /// <summary>The activations <see cref="Activations"/> and the bottleneck adapters know, as ONNX ops (opset 17 has no Gelu).</summary>
    public static string Activation(OnnxGraphBuilder g, string x, string name, string n)
    {
        switch (name)
        {
            case "gelu": // 0.5·x·(1 + erf(x/√2)): torch's exact GELU, the form our importer recognises
                var erf = g.Add("Erf", [g.Add("Div", [x, g.Scalar((float)Math.Sqrt(2))], n + "/Div")], n + "/Erf");
                return g.Add("Mul", [g.Add("Mul", [x, g.Add("Add", [erf, g.Scalar(1f)], n + "/Add")], n + "/Mul"), g.Scalar(0.5f)], n + "/Mul_half");
            case "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast": // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
                var cube = g.Add("Mul", [g.Add("Pow", [x, g.Scalar(3f)], n + "/Pow"), g.Scalar(0.044715f)], n + "/Mul_cube");
                var inner = g.Add("Mul", [g.Add("Add", [x, cube], n + "/Add_inner"), g.Scalar((float)Math.Sqrt(2.0 / Math.PI))], n + "/Mul_inner");
                var tanh = g.Add("Add", [g.Add("Tanh", [inner], n + "/Tanh"), g.Scalar(1f)], n + "/Add");
                return g.Add("Mul", [g.Add("Mul", [x, g.Scalar(0.5f)], n + "/Mul_half"), tanh], n + "/Mul");
            case "relu": return g.Add("Relu", [x], n + "/Relu");
            case "tanh": return g.Add("Tanh", [x], n + "/Tanh");
            case "silu" or "swish": return g.Add("Mul", [x, g.Add("Sigmoid", [x], n + "/Sigmoid")], n + "/Mul");
            default: throw new NotSupportedException($"ONNX export: activation '{name}' has no ONNX form here (gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, tanh, silu).");
        }
    }
}
