using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>The decoder families built here: GPT-2, and Llama with its close relatives (Qwen2, Mistral).</summary>
internal enum DecoderFamily { Gpt2, Llama }

/// <summary>
/// The architecture of a causal language model, read from a Hugging Face <c>config.json</c>. GPT-2 spells its fields
/// <c>n_embd</c>, <c>n_layer</c>…, the Llama family <c>hidden_size</c>, <c>num_hidden_layers</c>…; both are normalised
/// into one vocabulary. Features this library does not compute (rope scaling, GPT-2's per-layer attention scaling…)
/// are refused by name instead of silently computing something else.
/// </summary>
internal sealed record DecoderConfig
{
    /// <summary><c>model_type</c>: gpt2, llama, qwen2 or mistral.</summary>
    public string ModelType { get; init; } = "gpt2";
    public DecoderFamily Family => ModelType == "gpt2" ? DecoderFamily.Gpt2 : DecoderFamily.Llama;
    public int VocabSize { get; init; }
    public int HiddenSize { get; init; }
    public int NumLayers { get; init; }
    public int NumHeads { get; init; }
    /// <summary>Key/value heads (grouped-query attention); equal to <see cref="NumHeads"/> for plain multi-head attention.</summary>
    public int NumKeyValueHeads { get; init; }
    public int IntermediateSize { get; init; }
    public int MaxPositionEmbeddings { get; init; }
    /// <summary><c>activation_function</c> (GPT-2) or <c>hidden_act</c> (Llama's SwiGLU gate).</summary>
    public string HiddenAct { get; init; } = "gelu_new";
    /// <summary>LayerNorm eps (GPT-2) or RMSNorm eps (Llama).</summary>
    public double NormEps { get; init; } = 1e-5;
    /// <summary>Rotary base θ (Llama family).</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary>lm_head shares the token-embedding matrix (always for GPT-2).</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Biases on q/k/v (Qwen2, Llama's <c>attention_bias</c>); o_proj gets one only with <see cref="OutputProjectionBias"/>.</summary>
    public bool QkvBias { get; init; }
    public bool OutputProjectionBias { get; init; }
    public bool MlpBias { get; init; }
    /// <summary>Mistral's sliding window: a query attends to at most this many most recent positions (itself included); null for none.</summary>
    public int? SlidingWindow { get; init; }
    public double ResidualDropout { get; init; }
    public double EmbeddingDropout { get; init; }
    public double AttentionDropout { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public int? PadTokenId { get; init; }

    public int HeadDim => HiddenSize / NumHeads;

    public static readonly IReadOnlyList<string> SupportedTypes = ["gpt2", "llama", "qwen2", "mistral"];

    /// <summary>Whether <paramref name="modelType"/> is a decoder this library builds.</summary>
    public static bool IsDecoder(string modelType) => SupportedTypes.Contains(modelType);

    public static DecoderConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model config not found: {path}. A Hugging Face checkpoint folder has a config.json beside its weights.", path);
        return FromJson(JsonFields.Read(path, "model config"));
    }

    public static DecoderConfig FromJson(JsonFields json)
    {
        string source = json.File;
        string type = json.String("model_type") ?? throw new InvalidDataException($"{source}: field 'model_type' is missing (expected one of {string.Join(", ", SupportedTypes)}).");
        var config = type switch
        {
            "gpt2" => Gpt2(json),
            "llama" or "qwen2" or "mistral" => Llama(json, type),
            _ => throw new NotSupportedException($"{source}: model_type '{type}' is not a supported decoder (supported: {string.Join(", ", SupportedTypes)}). " +
                "Encoders (bert, roberta, distilbert) load through the classification and embedding estimators."),
        };
        config.Validate(source);
        return config;
    }

    static DecoderConfig Gpt2(JsonFields json)
    {
        Refuse(json, "scale_attn_by_inverse_layer_idx", json.Bool("scale_attn_by_inverse_layer_idx") == true, "per-layer attention scaling");
        Refuse(json, "reorder_and_upcast_attn", json.Bool("reorder_and_upcast_attn") == true, "reordered, upcast attention");
        Refuse(json, "scale_attn_weights", json.Bool("scale_attn_weights") == false, "unscaled attention scores");
        int hidden = json.RequiredInt("n_embd");
        return new DecoderConfig
        {
            ModelType = "gpt2",
            VocabSize = json.RequiredInt("vocab_size"),
            HiddenSize = hidden,
            NumLayers = json.RequiredInt("n_layer"),
            NumHeads = json.RequiredInt("n_head"),
            NumKeyValueHeads = json.RequiredInt("n_head"),
            IntermediateSize = json.Int("n_inner") ?? 4 * hidden,
            MaxPositionEmbeddings = json.RequiredInt("n_positions"),
            HiddenAct = json.String("activation_function") ?? "gelu_new",
            NormEps = json.Double("layer_norm_epsilon") ?? 1e-5,
            TieWordEmbeddings = true,
            QkvBias = true, OutputProjectionBias = true, MlpBias = true,
            ResidualDropout = json.Double("resid_pdrop") ?? 0.1,
            EmbeddingDropout = json.Double("embd_pdrop") ?? 0.1,
            AttentionDropout = json.Double("attn_pdrop") ?? 0.1,
            BosTokenId = json.Int("bos_token_id"),
            EosTokenIds = EosIds(json),
            PadTokenId = json.Int("pad_token_id"),
        };
    }

    static DecoderConfig Llama(JsonFields json, string type)
    {
        Refuse(json, "rope_scaling", json.Raw("rope_scaling") is not null, "scaled rotary embeddings (linear, dynamic, YaRN, llama3)");
        Refuse(json, "mlp_bias", json.Bool("mlp_bias") == true, "biases on the MLP projections");
        Refuse(json, "use_sliding_window", type == "qwen2" && json.Bool("use_sliding_window") == true, "Qwen2's per-layer sliding window");
        int heads = json.RequiredInt("num_attention_heads");
        bool attentionBias = json.Bool("attention_bias") ?? false;
        int? window = type == "mistral" ? json.Int("sliding_window") : null;
        return new DecoderConfig
        {
            ModelType = type,
            VocabSize = json.RequiredInt("vocab_size"),
            HiddenSize = json.RequiredInt("hidden_size"),
            NumLayers = json.RequiredInt("num_hidden_layers"),
            NumHeads = heads,
            NumKeyValueHeads = json.Int("num_key_value_heads") ?? heads,
            IntermediateSize = json.RequiredInt("intermediate_size"),
            MaxPositionEmbeddings = json.RequiredInt("max_position_embeddings"),
            HiddenAct = json.String("hidden_act") ?? "silu",
            NormEps = json.Double("rms_norm_eps") ?? 1e-6,
            RopeTheta = json.Double("rope_theta") ?? 10000,
            TieWordEmbeddings = json.Bool("tie_word_embeddings") ?? false,
            // Qwen2 always has q/k/v biases and none on o_proj; Llama's attention_bias puts one on all four.
            QkvBias = type == "qwen2" || attentionBias,
            OutputProjectionBias = type != "qwen2" && attentionBias,
            SlidingWindow = window,
            AttentionDropout = json.Double("attention_dropout") ?? 0,
            BosTokenId = json.Int("bos_token_id"),
            EosTokenIds = EosIds(json),
            PadTokenId = json.Int("pad_token_id"),
        };
    }

    // eos_token_id is an int, or a list of ints in newer Llama checkpoints.
    static IReadOnlyList<int> EosIds(JsonFields json) =>
        json.Raw("eos_token_id") is System.Text.Json.Nodes.JsonArray ? json.LongArray("eos_token_id")!.Select(i => (int)i).ToArray()
        : json.Int("eos_token_id") is int id ? [id] : [];

    static void Refuse(JsonFields json, string field, bool isSet, string what)
    {
        if (isSet)
            throw new NotSupportedException($"{json.File}: field '{field}' = {json.Raw(field)!.ToJsonString()} asks for {what}, which MLNet.FineTune does not implement for model_type decoders.");
    }

    /// <summary>Throws one clear message per broken rule, before any module is built.</summary>
    public void Validate(string source = "config")
    {
        void Range(string field, long value, long min, long max)
        {
            if (value < min || value > max) throw new InvalidDataException($"{source}: {field} is {value}; expected {min} to {max:N0}.");
        }
        Range("vocab_size", VocabSize, 1, TransformerConfig.MaxVocabSize);
        Range("hidden size", HiddenSize, 1, TransformerConfig.MaxHiddenSize);
        Range("number of layers", NumLayers, 1, TransformerConfig.MaxLayers);
        Range("number of attention heads", NumHeads, 1, HiddenSize);
        Range("num_key_value_heads", NumKeyValueHeads, 1, NumHeads);
        Range("intermediate size", IntermediateSize, 1, TransformerConfig.MaxIntermediateSize);
        Range("max positions", MaxPositionEmbeddings, 1, TransformerConfig.MaxPositions);
        if (HiddenSize % NumHeads != 0)
            throw new InvalidDataException($"{source}: hidden size {HiddenSize} is not a multiple of the number of attention heads {NumHeads}.");
        if (NumHeads % NumKeyValueHeads != 0)
            throw new InvalidDataException($"{source}: num_attention_heads {NumHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads} (grouped-query attention shares each key/value head among a whole group).");
        if (Family == DecoderFamily.Llama && HeadDim % 2 != 0)
            throw new InvalidDataException($"{source}: head dimension {HeadDim} is odd; rotary embeddings rotate pairs of dimensions.");
        if (!(NormEps > 0 && NormEps < 1)) throw new InvalidDataException($"{source}: the norm eps is {NormEps}; expected a small positive number.");
        if (!(RopeTheta > 0) || double.IsInfinity(RopeTheta)) throw new InvalidDataException($"{source}: rope_theta is {RopeTheta}; expected a positive number such as 10000.");
        if (SlidingWindow is <= 0) throw new InvalidDataException($"{source}: sliding_window is {SlidingWindow}; expected a positive number of positions or null.");
        foreach (var (field, p) in new[] { ("resid_pdrop", ResidualDropout), ("embd_pdrop", EmbeddingDropout), ("attention dropout", AttentionDropout) })
            if (!(p >= 0 && p < 1)) throw new InvalidDataException($"{source}: {field} is {p}; a dropout probability must be in [0, 1).");
        if (!Activations.IsKnown(HiddenAct))
            throw new NotSupportedException($"{source}: activation '{HiddenAct}' is not supported ({string.Join(", ", Activations.Names)}).");
        foreach (var (field, id) in new[] { ("bos_token_id", BosTokenId), ("pad_token_id", PadTokenId) }.Concat(EosTokenIds.Select(e => ("eos_token_id", (int?)e))))
            if (id is int i && (i < 0 || i >= VocabSize)) throw new InvalidDataException($"{source}: {field} is {i}; expected 0 to {VocabSize - 1}.");
    }

    /// <summary>The same model without dropout (parity tests, generation).</summary>
    public DecoderConfig WithoutDropout() => this with { ResidualDropout = 0, EmbeddingDropout = 0, AttentionDropout = 0 };
}
