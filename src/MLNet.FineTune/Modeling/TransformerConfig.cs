using System.Text.Json.Nodes;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// The architecture of an encoder, read from a Hugging Face <c>config.json</c>. Modules take only this object, so no
/// size is ever hard-coded. BERT/RoBERTa spell fields <c>hidden_size</c>, <c>num_hidden_layers</c>…; DistilBERT spells
/// them <c>dim</c>, <c>n_layers</c>…; both are normalised here into one vocabulary.
/// </summary>
internal sealed record TransformerConfig
{
    /// <summary><c>model_type</c>: bert, roberta or distilbert.</summary>
    public string ModelType { get; init; } = "bert";
    public int VocabSize { get; init; } = 30522;
    public int HiddenSize { get; init; } = 768;
    public int NumLayers { get; init; } = 12;
    public int NumHeads { get; init; } = 12;
    public int IntermediateSize { get; init; } = 3072;
    /// <summary><c>hidden_act</c>: gelu (erf), gelu_new / gelu_pytorch_tanh (tanh approximation), relu.</summary>
    public string HiddenAct { get; init; } = "gelu";
    public double HiddenDropout { get; init; } = 0.1;
    public double AttentionDropout { get; init; } = 0.1;
    public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>0 for DistilBERT, which has no token-type embeddings.</summary>
    public int TypeVocabSize { get; init; } = 2;
    public double LayerNormEps { get; init; } = 1e-12;
    public int PadTokenId { get; init; }
    /// <summary>Dropout before a sequence-classification head (<c>classifier_dropout</c>, else hidden dropout).</summary>
    public double? ClassifierDropout { get; init; }
    /// <summary>DistilBERT's <c>seq_classif_dropout</c>.</summary>
    public double? SequenceClassifierDropout { get; init; }
    public bool SinusoidalPositions { get; init; }
    /// <summary>
    /// Label names from <c>id2label</c> in id order, else LABEL_i for <c>num_labels</c> / <c>_num_labels</c>; empty when
    /// config.json says neither (no head, or a 2-label head whose count only the weights tell).
    /// </summary>
    public IReadOnlyList<string> Labels { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Architectures { get; init; } = Array.Empty<string>();

    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Reads a <c>config.json</c>, naming the file and the field in every error.</summary>
    public static TransformerConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model config not found: {path}. A Hugging Face checkpoint folder has a config.json beside its weights.", path);
        return FromJson(JsonFields.Read(path, "model config"));
    }

    public static TransformerConfig FromJson(JsonObject json, string source = "config.json") => FromJson(JsonFields.Of(json, source));

    /// <summary>Reads config.json's fields, each with the type Hugging Face writes; a wrong type is an error, never a default.</summary>
    public static TransformerConfig FromJson(JsonFields json)
    {
        string source = json.File;
        string type = json.String("model_type") ?? throw new InvalidDataException($"{source}: field 'model_type' is missing (expected bert, roberta or distilbert)");
        var config = type switch
        {
            "bert" or "roberta" or "xlm-roberta" or "camembert" => new TransformerConfig
            {
                ModelType = type is "bert" ? "bert" : "roberta",
                VocabSize = json.RequiredInt("vocab_size"),
                HiddenSize = json.RequiredInt("hidden_size"),
                NumLayers = json.RequiredInt("num_hidden_layers"),
                NumHeads = json.RequiredInt("num_attention_heads"),
                IntermediateSize = json.RequiredInt("intermediate_size"),
                HiddenAct = json.String("hidden_act") ?? "gelu",
                HiddenDropout = json.Double("hidden_dropout_prob") ?? 0.1,
                AttentionDropout = json.Double("attention_probs_dropout_prob") ?? 0.1,
                MaxPositionEmbeddings = json.RequiredInt("max_position_embeddings"),
                TypeVocabSize = json.Int("type_vocab_size") ?? 2,
                LayerNormEps = json.Double("layer_norm_eps") ?? 1e-12,
                PadTokenId = json.Int("pad_token_id") ?? (type == "bert" ? 0 : 1),
                ClassifierDropout = json.Double("classifier_dropout"),
            },
            "distilbert" => new TransformerConfig
            {
                ModelType = "distilbert",
                VocabSize = json.RequiredInt("vocab_size"),
                HiddenSize = json.RequiredInt("dim"),
                NumLayers = json.RequiredInt("n_layers"),
                NumHeads = json.RequiredInt("n_heads"),
                IntermediateSize = json.RequiredInt("hidden_dim"),
                HiddenAct = json.String("activation") ?? "gelu",
                HiddenDropout = json.Double("dropout") ?? 0.1,
                AttentionDropout = json.Double("attention_dropout") ?? 0.1,
                MaxPositionEmbeddings = json.RequiredInt("max_position_embeddings"),
                TypeVocabSize = 0,
                LayerNormEps = 1e-12, // DistilBERT hard-codes eps=1e-12 in modeling_distilbert.py
                PadTokenId = json.Int("pad_token_id") ?? 0,
                SequenceClassifierDropout = json.Double("seq_classif_dropout"),
                SinusoidalPositions = json.Bool("sinusoidal_pos_embds") ?? false,
            },
            _ => throw new NotSupportedException($"{source}: model_type '{type}' is not supported (supported: bert, roberta, distilbert; MiniLM and the BERT miniatures are 'bert')."),
        };
        var labels = ReadLabels(json);
        var archs = json.StringArray("architectures") ?? Array.Empty<string>();
        config = config with { Labels = labels, Architectures = archs };
        config.Validate(source);
        return config;
    }

    /// <summary>Largest hidden size accepted (the largest released BERT-family encoders use 1,024 to 2,560).</summary>
    public const int MaxHiddenSize = 1 << 16;
    /// <summary>Largest feed-forward size accepted.</summary>
    public const int MaxIntermediateSize = 1 << 20;
    /// <summary>Most layers accepted.</summary>
    public const int MaxLayers = 1024;
    /// <summary>Largest vocabulary accepted (XLM-R has 250,002 tokens).</summary>
    public const int MaxVocabSize = 1 << 24;
    /// <summary>Most position embeddings accepted.</summary>
    public const int MaxPositions = 1 << 20;
    /// <summary>Most token types accepted.</summary>
    public const int MaxTypeVocabSize = 1 << 16;
    /// <summary>
    /// Largest encoder accepted, in parameters (16 GB of float32; BERT-large has 335 million, XLM-R large 560 million).
    /// A config with weights is also bounded by the weights themselves (<see cref="Checkpoints.ConfigWeightsCheck"/>).
    /// </summary>
    public const long MaxParameters = 4_000_000_000;

    /// <summary>
    /// A lower bound on the encoder's parameter count (embeddings and the layers' projections), computed without
    /// allocating anything: what the config asks libtorch for.
    /// </summary>
    public double MinimumParameters =>
        ((double)VocabSize + MaxPositionEmbeddings + TypeVocabSize) * HiddenSize
        + (double)NumLayers * (4.0 * HiddenSize * HiddenSize + 2.0 * HiddenSize * IntermediateSize);

    /// <summary>
    /// Throws one clear message per broken rule, before any module is built: every size, rate and id here reaches
    /// libtorch, which would crash, allocate without bound, or train on nonsense (NaN from eps &lt;= 0).
    /// </summary>
    public void Validate(string source = "config")
    {
        bool distil = ModelType == "distilbert";
        void Range(string bertField, string distilField, long value, long min, long max)
        {
            if (value < min || value > max)
                throw new InvalidDataException($"{source}: {(distil ? distilField : bertField)} is {value}; expected {min} to {max:N0}.");
        }
        Range("vocab_size", "vocab_size", VocabSize, 1, MaxVocabSize);
        Range("hidden_size", "dim", HiddenSize, 1, MaxHiddenSize);
        Range("num_hidden_layers", "n_layers", NumLayers, 1, MaxLayers);
        Range("num_attention_heads", "n_heads", NumHeads, 1, HiddenSize);
        Range("intermediate_size", "hidden_dim", IntermediateSize, 1, MaxIntermediateSize);
        Range("max_position_embeddings", "max_position_embeddings", MaxPositionEmbeddings, 1, MaxPositions);
        if (!distil) Range("type_vocab_size", "", TypeVocabSize, 1, MaxTypeVocabSize);
        if (HiddenSize % NumHeads != 0)
            throw new InvalidDataException($"{source}: hidden size {HiddenSize} is not a multiple of the number of attention heads {NumHeads}.");
        if (MinimumParameters > MaxParameters)
            throw new InvalidDataException($"{source}: the sizes describe an encoder of at least {MinimumParameters:N0} parameters " +
                $"(vocab_size {VocabSize}, hidden size {HiddenSize}, {NumLayers} layers, intermediate size {IntermediateSize}, {MaxPositionEmbeddings} positions); " +
                $"the limit is {MaxParameters:N0}. The config is corrupt or not for this library.");
        Range("pad_token_id", "pad_token_id", PadTokenId, 0, VocabSize - 1);
        foreach (var (field, p) in new[] { (distil ? "dropout" : "hidden_dropout_prob", (double?)HiddenDropout), (distil ? "attention_dropout" : "attention_probs_dropout_prob", AttentionDropout),
                     ("classifier_dropout", ClassifierDropout), ("seq_classif_dropout", SequenceClassifierDropout) })
            if (p is double d && !(d >= 0 && d < 1))
                throw new InvalidDataException($"{source}: {field} is {d}; a dropout probability must be in [0, 1).");
        if (!(LayerNormEps > 0 && LayerNormEps < 1))
            throw new InvalidDataException($"{source}: layer_norm_eps is {LayerNormEps}; expected a small positive number such as 1e-12 (LayerNorm divides by sqrt(variance + eps)).");
        if (!Activations.IsKnown(HiddenAct))
            throw new NotSupportedException($"{source}: {(distil ? "activation" : "hidden_act")} '{HiddenAct}' is not supported ({string.Join(", ", Activations.Names)}).");
        if (SinusoidalPositions)
            throw new NotSupportedException($"{source}: sinusoidal_pos_embds=true is not supported yet (learned position embeddings only).");
    }

    /// <summary>Writes a Hugging Face-style config.json (used when a model is saved).</summary>
    public JsonObject ToJson()
    {
        var o = ModelType == "distilbert"
            ? new JsonObject
            {
                ["model_type"] = "distilbert", ["vocab_size"] = VocabSize, ["dim"] = HiddenSize, ["n_layers"] = NumLayers,
                ["n_heads"] = NumHeads, ["hidden_dim"] = IntermediateSize, ["activation"] = HiddenAct, ["dropout"] = HiddenDropout,
                ["attention_dropout"] = AttentionDropout, ["max_position_embeddings"] = MaxPositionEmbeddings, ["pad_token_id"] = PadTokenId,
                ["sinusoidal_pos_embds"] = false,
            }
            : new JsonObject
            {
                ["model_type"] = ModelType, ["vocab_size"] = VocabSize, ["hidden_size"] = HiddenSize, ["num_hidden_layers"] = NumLayers,
                ["num_attention_heads"] = NumHeads, ["intermediate_size"] = IntermediateSize, ["hidden_act"] = HiddenAct,
                ["hidden_dropout_prob"] = HiddenDropout, ["attention_probs_dropout_prob"] = AttentionDropout,
                ["max_position_embeddings"] = MaxPositionEmbeddings, ["type_vocab_size"] = TypeVocabSize, ["layer_norm_eps"] = LayerNormEps,
                ["pad_token_id"] = PadTokenId,
            };
        if (ClassifierDropout is double cd) o["classifier_dropout"] = cd;
        if (SequenceClassifierDropout is double sd) o["seq_classif_dropout"] = sd;
        if (Labels.Count > 0)
        {
            var id2label = new JsonObject();
            for (int i = 0; i < Labels.Count; i++) id2label[i.ToString()] = Labels[i];
            o["id2label"] = id2label;
        }
        return o;
    }

    /// <summary>
    /// <c>id2label</c> names; without it, <c>num_labels</c> (or <c>_num_labels</c>, written by transformers 2–3) gives
    /// LABEL_0…LABEL_{n-1} as transformers names them. transformers leaves id2label out of config.json when it equals
    /// the default two LABEL_i, so a 2-label checkpoint may carry neither field: then the list is empty and the
    /// label count comes from the head's weights (<see cref="PretrainedEncoder.LabelCount"/>).
    /// </summary>
    static IReadOnlyList<string> ReadLabels(JsonFields json)
    {
        if (json.Object("id2label") is { } map)
        {
            // Keys are the ids 0..n-1 as decimal strings (JSON keys are always strings); a gap or a non-number would
            // shift every label after it onto the wrong logit.
            var names = new string?[map.Count];
            foreach (var (key, _) in map.Fields)
            {
                if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id) || id >= names.Length)
                    throw map.Error(key, $"is not a label id: id2label keys must be the ids 0 to {names.Length - 1} written as decimal strings.");
                if (names[id] != null) throw map.Error(key, $"repeats label id {id}.");
                names[id] = map.String(key) ?? throw map.WrongType(key, "a label name (string)", null);
            }
            return names!;
        }
        foreach (var key in new[] { "num_labels", "_num_labels" })
        {
            if (json.Int(key) is not int n) continue;
            if (n < 0) throw new InvalidDataException($"{json.File}: field '{key}' is {n}; expected a label count >= 0.");
            return Enumerable.Range(0, n).Select(i => $"LABEL_{i}").ToArray();
        }
        return Array.Empty<string>();
    }
}
