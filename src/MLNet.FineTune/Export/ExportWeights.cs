using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Export;

/// <summary>A projection as the export writes it: the weight stored [in, out] for <c>MatMul</c>, the bias, and a bottleneck adapter behind it if any.</summary>
internal sealed record ExportLinear(string Name, float[] WeightInOut, long In, long Out, float[] Bias, BottleneckWeights? Adapter);

/// <summary>A single bottleneck adapter after a projection: <c>y + up(act(down(y)))</c>.</summary>
internal sealed record BottleneckWeights(ExportLinear Down, ExportLinear Up, string NonLinearity);

/// <summary>
/// Reads a fitted <see cref="TaskNetwork"/>'s weights as the graph needs them, without changing the live model: LoRA is
/// merged into copies (base + Σ B·A·scaling over the adapters its forward pass adds), so a model being exported keeps
/// scoring and training exactly as before. Names are the network's own (<c>bert.encoder.layer.0.attention.self.query.weight</c>),
/// which also lets our ONNX importer cross-check them on the way back.
/// </summary>
internal sealed class ExportWeights
{
    readonly Dictionary<string, Tensor> encoder;
    readonly PeftModel? peft;

    readonly TaskNetwork? network;

    public ExportWeights(TaskNetwork network) : this(network.Encoder, network.Peft, network.EncoderPrefix) => this.network = network;

    /// <summary>An encoder alone (an embedding model): no heads; <paramref name="prefix"/> names its weights ("bert.").</summary>
    public ExportWeights(EncoderModel encoderModel, PeftModel? peft, string prefix)
    {
        this.peft = peft;
        Prefix = prefix;
        Config = encoderModel.Config;
        encoder = encoderModel.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
    }

    /// <summary>The task network the heads come from (not there for an encoder alone).</summary>
    public TaskNetwork Network => network ?? throw new InvalidOperationException("ONNX export: an encoder exported alone has no heads.");
    public TransformerConfig Config { get; }
    public PeftModel? Peft => peft;
    /// <summary>The encoder's prefix in the network's names ("bert.", "roberta.", "distilbert.").</summary>
    public string Prefix { get; }

    /// <summary>An encoder parameter (embedding table, LayerNorm) by its name inside the encoder.</summary>
    public OnnxTensorData Tensor(string name)
    {
        var t = encoder.TryGetValue(name, out var p) ? p : throw new InvalidOperationException($"ONNX export: the encoder has no parameter '{name}'.");
        return OnnxTensorData.Floats(Prefix + name, Floats(t), t.shape);
    }

    public bool HasLinear(string path) => encoder.ContainsKey(path + ".weight") || encoder.ContainsKey(path + ".base_layer.weight");

    /// <summary>An encoder projection by Hugging Face path (<c>encoder.layer.0.attention.self.query</c>), LoRA merged in.</summary>
    public ExportLinear Linear(string path)
    {
        if (encoder.TryGetValue(path + ".weight", out var plain))
            return Make(Prefix + path, plain, encoder[path + ".bias"], null);
        if (!encoder.TryGetValue(path + ".base_layer.weight", out var baseWeight))
            throw new InvalidOperationException($"ONNX export: the encoder has no projection '{path}'.");
        var bias = encoder[path + ".base_layer.bias"];
        if (peft?.Lora?.Layers.TryGetValue(path, out var lora) == true)
        {
            using var scope = NewDisposeScope();
            return Make(Prefix + path, EffectiveLoraWeight(lora), bias, null);
        }
        var adapter = BottleneckAdapter(path);
        return Make(Prefix + path, baseWeight, bias, adapter);
    }

    /// <summary>A head module's linear layer by its parameter prefix inside the module (<c>classifier</c>, <c>classifier.out_proj</c>).</summary>
    public static ExportLinear HeadLinear(nn.Module module, string networkPrefix, string path)
    {
        var p = module.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        return Make(networkPrefix + path, p[path + ".weight"], p[path + ".bias"], null);
    }

    // LoraLinear.forward: disabled → the base alone (merged adapters taken out); merged → the base weight already holds
    // them; else base + every active adapter the layer holds. Computed on copies under no_grad.
    static Tensor EffectiveLoraWeight(LoraLinear layer)
    {
        using var _ = no_grad();
        var weight = layer.BaseLayer.weight!.detach().clone();
        if (layer.AdaptersDisabled)
        {
            foreach (var name in layer.MergedAdapters) weight.sub_(layer.DeltaWeight(name));
            return weight;
        }
        if (layer.MergedAdapters.Count > 0) return weight;
        foreach (var name in layer.ActiveAdapters.Where(layer.Adapters.Contains))
            weight.add_(layer.DeltaWeight(name));
        return weight;
    }

    BottleneckWeights? BottleneckAdapter(string path)
    {
        if (!encoder.TryGetValue(path + ".adapter_down.weight", out var down)) return null;
        string p = Prefix + path;
        return new BottleneckWeights(
            Make(p + ".adapter_down", down, encoder[path + ".adapter_down.bias"], null),
            Make(p + ".adapter_up", encoder[path + ".adapter_up.weight"], encoder[path + ".adapter_up.bias"], null),
            peft!.Options.Bottleneck.NonLinearity.ToLowerInvariant());
    }

    static ExportLinear Make(string name, Tensor weight, Tensor bias, BottleneckWeights? adapter)
    {
        using var scope = NewDisposeScope();
        long outFeatures = weight.size(0), inFeatures = weight.size(1);
        return new ExportLinear(name, Floats(weight.t()), inFeatures, outFeatures, Floats(bias), adapter);
    }

    /// <summary>The values of a tensor as float32, row-major (copied: the live parameter is never touched).</summary>
    public static float[] Floats(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }
}
