using System.Text.Json;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.FineTune.Export;

/// <summary>
/// A fitted <see cref="TaskNetwork"/> as one ONNX model (docs/design/onnx-export.md): opset 17; inputs <c>input_ids</c>,
/// <c>attention_mask</c> and, for encoders with token types (BERT, RoBERTa), <c>token_type_ids</c>, all int64
/// (batch, sequence); the encoder (LoRA merged, bottleneck adapters and prompt tuning's virtual tokens written out);
/// every head's outputs under its ML.NET column names; weights stored once as initializers; metadata naming the heads,
/// their labels and whatever the caller adds (model card, scoring settings, tokenizer files).
/// </summary>
internal static class OnnxExport
{
    /// <summary>Metadata keys the export itself writes.</summary>
    public const string FormatKey = "mlnet.finetune.format", HeadsKey = "mlnet.finetune.heads", InputsKey = "mlnet.finetune.inputs",
        LabelNamesKey = "label_names", EmbeddingKey = "mlnet.finetune.embedding", QuantizationKey = "mlnet.finetune.quantization",
        OperatorsKey = "mlnet.finetune.operators";

    /// <summary>The <see cref="OperatorsKey"/> value of a graph with ONNX Runtime's fused operators (absent in a standard graph).</summary>
    public const string FusedOperators = "onnxruntime-fused: com.microsoft Attention, BiasGelu";

    /// <summary>The head kind an embedding model's single output is listed under in <see cref="HeadsKey"/>.</summary>
    public const string EmbeddingKind = "embedding";

    public const string FormatVersion = "1";

    /// <param name="network">The fitted network; read only (LoRA is merged into copies).</param>
    /// <param name="outputPrefix">The transformer's output prefix (multi-task heads add "name.").</param>
    /// <param name="metadata">More metadata_props (model card, settings, tokenizer files).</param>
    /// <param name="quantize">Dynamic int8 weights (<see cref="OnnxQuantizer"/>).</param>
    /// <param name="plan">Which MatMuls stay float when quantizing (default <see cref="Int8Plan.Default"/>).</param>
    /// <param name="fused">Write ONNX Runtime's fused operators (<see cref="OrtFusedOps"/>) where they apply.</param>
    public static ProtoMessage Build(TaskNetwork network, string outputPrefix, IEnumerable<KeyValuePair<string, string>> metadata, bool quantize = false, Int8Plan? plan = null, bool fused = false)
    {
        CheckSupported(network);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var g = new OnnxGraphBuilder();
        var weights = new ExportWeights(network);
        var config = network.Encoder.Config;
        var ids = g.Input("input_ids", OnnxElement.Int64, "batch", "sequence");
        var mask = g.Input("attention_mask", OnnxElement.Int64, "batch", "sequence");
        var types = config.TypeVocabSize > 0 ? g.Input("token_type_ids", OnnxElement.Int64, "batch", "sequence") : null;
        var encoded = new EncoderGraph(g, weights, fused).Emit(ids, mask, types);
        var heads = network.Tasks.Select((t, i) => HeadGraph.Emit(g, weights, i, encoded, network.Tasks.Count == 1 ? outputPrefix : outputPrefix + t.Name + ".")).ToList();
        var own = new Dictionary<string, string>
        {
            [FormatKey] = FormatVersion,
            [InputsKey] = JsonSerializer.Serialize(g.Inputs.Select(i => i.Name)),
            [HeadsKey] = JsonSerializer.Serialize(heads),
            [LabelNamesKey] = JsonSerializer.Serialize(heads.ToDictionary(h => h.Name, h => h.LabelNames)),
        };
        if (fused) own[OperatorsKey] = FusedOperators;
        Quantize(g, own, quantize, plan);
        var version = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "";
        return OnnxModelWriter.Model(g, $"{config.ModelType} fine-tuned ({string.Join(", ", heads.Select(h => h.Kind))})", version, own.Concat(metadata));
    }

    /// <summary>
    /// An embedding model: the encoder, then pooling, Matryoshka truncation and normalisation (<see cref="EmbeddingGraph"/>),
    /// one output named after the ML.NET column, (batch, dimensions). Listed in the heads metadata as one head of kind
    /// <see cref="EmbeddingKind"/>, so a scorer reads both kinds of export the same way; the pooling, normalisation and
    /// dimensions are also written under <see cref="EmbeddingKey"/>.
    /// </summary>
    public static ProtoMessage BuildEmbedding(EncoderModel encoder, EmbeddingGraphSpec spec, IEnumerable<KeyValuePair<string, string>> metadata, bool quantize = false, Int8Plan? plan = null, bool fused = false)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var g = new OnnxGraphBuilder();
        var config = encoder.Config;
        var ids = g.Input("input_ids", OnnxElement.Int64, "batch", "sequence");
        var mask = g.Input("attention_mask", OnnxElement.Int64, "batch", "sequence");
        var types = config.TypeVocabSize > 0 ? g.Input("token_type_ids", OnnxElement.Int64, "batch", "sequence") : null;
        var encoded = new EncoderGraph(g, new ExportWeights(encoder, null, config.ModelType + "."), fused).Emit(ids, mask, types, pooler: false);
        EmbeddingGraph.Emit(g, encoded, mask, spec, config.HiddenSize);
        var head = new ExportedHead("embedding", EmbeddingKind, [spec.OutputName], []);
        var own = new Dictionary<string, string>
        {
            [FormatKey] = FormatVersion,
            [InputsKey] = JsonSerializer.Serialize(g.Inputs.Select(i => i.Name)),
            [HeadsKey] = JsonSerializer.Serialize(new[] { head }),
            [EmbeddingKey] = JsonSerializer.Serialize(new { spec.Pooling, spec.Normalize, spec.Dimensions }),
        };
        if (fused) own[OperatorsKey] = FusedOperators;
        Quantize(g, own, quantize, plan);
        var version = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "";
        return OnnxModelWriter.Model(g, $"{config.ModelType} text embedding ({spec.Pooling} pooling)", version, own.Concat(metadata));
    }

    /// <summary>
    /// The encoder alone (outputs <c>last_hidden_state</c> and, with BERT's pooler, <c>pooler_output</c>), as a plain
    /// encoder export would give it: what <c>Modeling/Onnx</c>'s importer reads back (BERT only).
    /// </summary>
    public static ProtoMessage BuildEncoder(TaskNetwork network)
    {
        CheckSupported(network);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var g = new OnnxGraphBuilder();
        var config = network.Encoder.Config;
        var ids = g.Input("input_ids", OnnxElement.Int64, "batch", "sequence");
        var mask = g.Input("attention_mask", OnnxElement.Int64, "batch", "sequence");
        var types = config.TypeVocabSize > 0 ? g.Input("token_type_ids", OnnxElement.Int64, "batch", "sequence") : null;
        var encoded = new EncoderGraph(g, new ExportWeights(network)).Emit(ids, mask, types);
        g.Output(encoded.Hidden, "last_hidden_state", OnnxElement.Float, "batch", "sequence", config.HiddenSize);
        if (encoded.Pooled is { } pooled) g.Output(pooled, "pooler_output", OnnxElement.Float, "batch", config.HiddenSize);
        return OnnxModelWriter.Model(g, $"{config.ModelType} encoder", "", [KeyValuePair.Create(FormatKey, FormatVersion)]);
    }

    static void Quantize(OnnxGraphBuilder g, Dictionary<string, string> metadata, bool quantize, Int8Plan? plan)
    {
        if (!quantize) return;
        plan ??= Int8Plan.Default;
        OnnxQuantizer.Apply(g, plan);
        metadata[QuantizationKey] = OnnxQuantizer.Describe(plan);
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically (never a partial file at the target).</summary>
    public static void Save(ProtoMessage model, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var target = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Cannot export ONNX model to '{target}': folder '{folder}' does not exist.");
        if (Directory.Exists(target)) throw new IOException($"Cannot export ONNX model to '{target}': it is a folder; give the path of the .onnx file to write.");
        AtomicSaveTempFiles.WriteFile(target, model.WriteTo);
    }

    static void CheckSupported(TaskNetwork network)
    {
        if (network.Peft?.TaskAdapters is { } tasks)
            throw new NotSupportedException($"ONNX export: this model has one {network.Peft.Options.Method} adapter per task ({string.Join(", ", tasks)}; " +
                "PeftOptions.AdapterPerTask), which needs one encoder pass per task. Export supports one shared encoder; train with AdapterPerTask = false, " +
                "or with LoRA save each task's adapter with SaveLoraAdapter.");
    }
}
