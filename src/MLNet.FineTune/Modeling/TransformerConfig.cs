using System.Text.Json;
using System.Text.Json.Nodes;

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
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("top level is not an object"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        return FromJson(json, path);
    }

    public static TransformerConfig FromJson(JsonObject json, string source = "config.json")
    {
        string type = Str(json, "model_type") ?? throw new InvalidDataException($"{source}: field 'model_type' is missing (expected bert, roberta or distilbert)");
        var config = type switch
        {
            "bert" or "roberta" or "xlm-roberta" or "camembert" => new TransformerConfig
            {
                ModelType = type is "bert" ? "bert" : "roberta",
                VocabSize = Int(json, "vocab_size", source),
                HiddenSize = Int(json, "hidden_size", source),
                NumLayers = Int(json, "num_hidden_layers", source),
                NumHeads = Int(json, "num_attention_heads", source),
                IntermediateSize = Int(json, "intermediate_size", source),
                HiddenAct = Str(json, "hidden_act") ?? "gelu",
                HiddenDropout = Dbl(json, "hidden_dropout_prob") ?? 0.1,
                AttentionDropout = Dbl(json, "attention_probs_dropout_prob") ?? 0.1,
                MaxPositionEmbeddings = Int(json, "max_position_embeddings", source),
                TypeVocabSize = IntOr(json, "type_vocab_size", 2),
                LayerNormEps = Dbl(json, "layer_norm_eps") ?? 1e-12,
                PadTokenId = IntOr(json, "pad_token_id", type == "bert" ? 0 : 1),
                ClassifierDropout = Dbl(json, "classifier_dropout"),
            },
            "distilbert" => new TransformerConfig
            {
                ModelType = "distilbert",
                VocabSize = Int(json, "vocab_size", source),
                HiddenSize = Int(json, "dim", source),
                NumLayers = Int(json, "n_layers", source),
                NumHeads = Int(json, "n_heads", source),
                IntermediateSize = Int(json, "hidden_dim", source),
                HiddenAct = Str(json, "activation") ?? "gelu",
                HiddenDropout = Dbl(json, "dropout") ?? 0.1,
                AttentionDropout = Dbl(json, "attention_dropout") ?? 0.1,
                MaxPositionEmbeddings = Int(json, "max_position_embeddings", source),
                TypeVocabSize = 0,
                LayerNormEps = 1e-12, // DistilBERT hard-codes eps=1e-12 in modeling_distilbert.py
                PadTokenId = IntOr(json, "pad_token_id", 0),
                SequenceClassifierDropout = Dbl(json, "seq_classif_dropout"),
                SinusoidalPositions = json["sinusoidal_pos_embds"]?.GetValue<bool>() ?? false,
            },
            _ => throw new NotSupportedException($"{source}: model_type '{type}' is not supported (supported: bert, roberta, distilbert; MiniLM and the BERT miniatures are 'bert')."),
        };
        var labels = ReadLabels(json, source);
        var archs = (json["architectures"] as JsonArray)?.Select(a => a!.GetValue<string>()).ToArray() ?? Array.Empty<string>();
        config = config with { Labels = labels, Architectures = archs };
        config.Validate(source);
        return config;
    }

    /// <summary>Throws one clear message per broken rule.</summary>
    public void Validate(string source = "config")
    {
        if (HiddenSize <= 0 || NumLayers <= 0 || NumHeads <= 0 || IntermediateSize <= 0 || VocabSize <= 0 || MaxPositionEmbeddings <= 0)
            throw new InvalidDataException($"{source}: sizes must be positive (hidden {HiddenSize}, layers {NumLayers}, heads {NumHeads}, intermediate {IntermediateSize}, vocab {VocabSize}, positions {MaxPositionEmbeddings}).");
        if (HiddenSize % NumHeads != 0)
            throw new InvalidDataException($"{source}: hidden size {HiddenSize} is not a multiple of the number of attention heads {NumHeads}.");
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
    static IReadOnlyList<string> ReadLabels(JsonObject json, string source)
    {
        if (json["id2label"] is JsonObject map)
        {
            var pairs = map.Select(kv => (Id: int.Parse(kv.Key), Name: kv.Value!.GetValue<string>())).OrderBy(p => p.Id).ToArray();
            return pairs.Select(p => p.Name).ToArray();
        }
        foreach (var key in new[] { "num_labels", "_num_labels" })
        {
            if (json[key] is null) continue;
            int n = Int(json, key, source);
            if (n < 0) throw new InvalidDataException($"{source}: field '{key}' is {n}; expected a label count >= 0.");
            return Enumerable.Range(0, n).Select(i => $"LABEL_{i}").ToArray();
        }
        return Array.Empty<string>();
    }

    static string? Str(JsonObject j, string key) => j[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    static double? Dbl(JsonObject j, string key) => j[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
    static int IntOr(JsonObject j, string key, int fallback) => j[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : fallback;
    static int Int(JsonObject j, string key, string source) =>
        j[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i
        : throw new InvalidDataException($"{source}: field '{key}' is missing or not an integer (found: {j[key]?.ToJsonString() ?? "nothing"}).");
}
