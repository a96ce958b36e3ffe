using System.Text;
using System.Text.Json.Nodes;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using static MLNet.FineTune.Tests.Robustness.UntrustedFileFixtures;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 4: values that would reach libtorch unchecked — dropout outside [0, 1), pad ids outside the
/// vocabulary, hidden sizes not divisible by the heads, zero, negative or absurd sizes (refused before anything is
/// allocated: compared with the weights' shapes, or bounded for models without weights), eps &lt;= 0, class weights
/// of the wrong length. Every case must be refused by our checks, fast and without allocating what the config asks.
/// </summary>
internal sealed class LibtorchValueCases : ICorpusSource
{
    const string Category = "values";

    /// <summary>Nothing the config asks for may be allocated: the tiny checkpoint itself needs far less than this.</summary>
    const long SmallAllocation = 96L << 20;

    static CorpusCase Config(string name, Action<JsonObject> edit, params string[] mention) =>
        CorpusCase.Refused(Category, name, folder =>
        {
            CorpusFixtures.TinyBert(folder, edit);
            PretrainedEncoder.Load(folder);
        }, ["config.json", .. mention]) with { MaxAllocatedBytes = SmallAllocation };

    public IEnumerable<CorpusCase> Cases() => UntrustedFileFixtures.Disposing(AllCases());

    static IEnumerable<CorpusCase> AllCases()
    {
        foreach (var (field, value) in new[] { ("hidden_dropout_prob", 1.5), ("hidden_dropout_prob", -0.1), ("hidden_dropout_prob", 1.0),
                     ("attention_probs_dropout_prob", 2.0), ("classifier_dropout", -1.0), ("classifier_dropout", 1.0) })
            yield return Config($"config-{field}-{value}", j => j[field] = value, field, "[0, 1)");
        foreach (var pad in new[] { 99, -1, 1_000_000 })
            yield return Config($"config-pad_token_id-{pad}", j => j["pad_token_id"] = pad, "pad_token_id", pad.ToString());
        foreach (var heads in new[] { 5, 3, 64 })
            yield return Config($"config-hidden-32-heads-{heads}", j => j["num_attention_heads"] = heads, "attention");
        foreach (var field in new[] { "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size" })
            foreach (var value in new[] { 0, -1 })
                yield return Config($"config-{field}-{value}", j => j[field] = value, field);
        foreach (var eps in new[] { 0.0, -1e-12, 5.0 })
            yield return Config($"config-layer_norm_eps-{eps}", j => j["layer_norm_eps"] = eps, "layer_norm_eps");
        yield return Config("config-layer_norm_eps-1e999", j => j["layer_norm_eps"] = Literal("1e999"), "layer_norm_eps");
        yield return Config("config-hidden_act-unknown", j => j["hidden_act"] = "swish2", "hidden_act", "swish2");

        // Sizes within the absolute bounds but not what the weights hold: refused by comparing with the weights first.
        yield return Config("config-vocab-1-million-vs-weights-99", j => j["vocab_size"] = 1_000_000, "vocab_size", "word_embeddings");
        yield return Config("config-hidden-4096-vs-weights-32", j => { j["hidden_size"] = 4096; j["num_attention_heads"] = 4; }, "hidden", "word_embeddings");
        yield return Config("config-positions-100000-vs-weights-64", j => j["max_position_embeddings"] = 100_000, "max_position_embeddings", "position_embeddings");
        yield return Config("config-1000-layers-vs-weights-2", j => j["num_hidden_layers"] = 1000, "1000 layers", "weights hold only");
        yield return Config("config-intermediate-1m-vs-weights-37", j => j["intermediate_size"] = 1_000_000, "intermediate size", "weights hold only");
        // Beyond the absolute bounds: refused whatever the weights (the 131 TB embedding of the issue).
        yield return Config("config-131-TB-embedding", j => { j["vocab_size"] = 16_000_000; j["hidden_size"] = 65_536; j["num_attention_heads"] = 4; }, "parameters", "limit");
        yield return Config("config-vocab-2-billion", j => j["vocab_size"] = 2_000_000_000, "vocab_size", "16,777,216");
        yield return Config("config-hidden-int-max", j => j["hidden_size"] = int.MaxValue, "hidden_size");
        yield return Config("config-layers-int-max", j => j["num_hidden_layers"] = int.MaxValue, "num_hidden_layers");

        // The built-in model has no weights to compare with: its sizes are bounded absolutely.
        foreach (var (name, options, mention) in new (string, BuiltInModelOptions, string)[]
                 {
                     ("builtin-hidden-1M", new() { HiddenSize = 1 << 20, AttentionHeads = 2 }, "hidden"),
                     ("builtin-layers-100k", new() { Layers = 100_000 }, "layers"),
                     ("builtin-intermediate-2M", new() { IntermediateSize = 1 << 21 }, "intermediate"),
                     ("builtin-positions-4M", new() { MaxPositions = 1 << 22 }, "position"),
                     ("builtin-65536-hidden-256-layers", new() { HiddenSize = 1 << 16, AttentionHeads = 4, Layers = 256 }, "parameters"),
                 })
            yield return CorpusCase.Refused(Category, name, _ => CorpusFixtures.Fit(CorpusFixtures.Quick with { BuiltInModel = options }, rows: 8),
                "BuiltInModelOptions", mention) with { MaxAllocatedBytes = 256L << 20 };

        // Class weights: checked where the head is fitted, and again where a saved head is restored.
        yield return CorpusCase.Refused(Category, "class-weights-wrong-length-at-fit", _ =>
            CorpusFixtures.Fit(CorpusFixtures.Quick with { Heads = [new ClassificationHead(classWeights: [1f, 2f, 3f])] }, rows: 8),
            "3 class weights", "2 classes");
        yield return CorpusCase.Refused(Category, "zip-class-weights-wrong-length", folder =>
            LoadZip(EditFinetuneJson(j => j["Heads"]![0]!["ClassWeights"] = Literal("[1, 2, 3]")), folder),
            "finetune.json", "ClassWeights");
        yield return CorpusCase.Refused(Category, "zip-duplicate-label-names", folder =>
            LoadZip(EditFinetuneJson(j => j["Heads"]![0]!["LabelNames"] = Literal("[\"False\", \"False\"]")), folder),
            "finetune.json", "twice");
        yield return CorpusCase.Refused(Category, "zip-config-vocab-1-million", folder =>
            LoadZip(EditZipConfig(j => j["vocab_size"] = 1_000_000), folder),
            "weights/model.safetensors", "vocab_size");
        yield return CorpusCase.Refused(Category, "zip-config-dropout-5", folder =>
            LoadZip(EditZipConfig(j => j["hidden_dropout_prob"] = 5), folder),
            "config.json", "hidden_dropout_prob");
        yield return CorpusCase.Refused(Category, "zip-config-hidden-act-number", folder =>
            LoadZip(EditZipConfig(j => j["hidden_act"] = 3), folder),
            "config.json", "hidden_act");
    }

    static byte[] EditFinetuneJson(Action<JsonObject> edit) => EditEntryJson("finetune.json", edit);

    static byte[] EditZipConfig(Action<JsonObject> edit) => EditEntryJson("tokenizer/config.json", edit);

    /// <summary>The tiny model zip with one JSON payload entry edited and the payload header's length and hash made to match, as a deliberate editor would.</summary>
    static byte[] EditEntryJson(string entry, Action<JsonObject> edit)
    {
        var zip = TinyZip;
        var json = JsonNode.Parse(Entry(zip, "Payload/" + entry))!.AsObject();
        edit(json);
        return PayloadEdits.Replace(zip, entry, Encoding.UTF8.GetBytes(json.ToJsonString()));
    }
}
