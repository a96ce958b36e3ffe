using MLNet.FineTune.Cli.Output;
using System.Text.Json.Nodes;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// A fitted single-head model as a Hugging Face folder: <c>model.safetensors</c> (encoder under its model-type prefix, e.g.
/// <c>bert.</c>, and the head under the names of transformers' <c>*ForSequenceClassification</c> / <c>*ForTokenClassification</c>
/// classes), <c>config.json</c> (the base config plus architectures, id2label/label2id, problem_type) and the tokenizer files.
/// LoRA is merged into the weights first (on the loaded copy). Bottleneck adapters and prompt tuning add modules no
/// transformers class has, so they are refused.
/// </summary>
internal static class HuggingFaceFolder
{
    public static void Write(FineTuneTransformer model, string folder)
    {
        var network = model.Network;
        if (network.Tasks.Count != 1) throw new UserError($"--format hf writes single-head models; this one has {network.Tasks.Count} heads.");
        var method = model.Settings.Peft.Method;
        if (method is PeftMethod.Houlsby or PeftMethod.Pfeiffer or PeftMethod.PromptTuning)
            throw new UserError($"--format hf: the model was trained with {method}, which adds modules no Hugging Face model class has; export it with --format peft (prompt tuning) or --format onnx.");
        if (model.Settings.Peft.AdapterPerTask) throw new UserError("--format hf: the model has one adapter per task; it cannot be merged into one set of weights.");
        var head = network.Tasks[0];
        string modelType = network.Encoder.Config.ModelType;
        using var scope = NewDisposeScope();
        network.Peft?.Lora?.MergeAndUnload();
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in LoraModel.PlainStateDict(network.Encoder)) tensors[modelType + "." + name] = tensor;
        string headPrefix = "heads." + head.Name + ".";
        foreach (var (name, parameter) in network.named_parameters().Where(p => p.name.StartsWith(headPrefix, StringComparison.Ordinal)))
            tensors[name[headPrefix.Length..]] = parameter;

        var config = JsonNode.Parse(model.Package.Files[CheckpointFolder.ConfigFile])!.AsObject();
        string kind = head.IsTokenLevel ? "TokenClassification" : "SequenceClassification";
        config["architectures"] = new JsonArray(ClassPrefix(modelType) + "For" + kind);
        if (head.Describe().Kind == RegressionHead.KindName)
        {
            config["problem_type"] = "regression";
            config["id2label"] = new JsonObject { ["0"] = "LABEL_0" };
            config["label2id"] = new JsonObject { ["LABEL_0"] = 0 };
        }
        else
        {
            if (!head.IsTokenLevel) config["problem_type"] = "single_label_classification";
            config["id2label"] = new JsonObject(head.LabelNames.Select((l, i) => KeyValuePair.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)l)));
            config["label2id"] = new JsonObject(head.LabelNames.Select((l, i) => KeyValuePair.Create(l, (JsonNode?)i)));
        }

        Directory.CreateDirectory(folder);
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(Path.Combine(folder, CheckpointFolder.ConfigFile), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        foreach (var (name, bytes) in model.Package.Files.Where(f => f.Key != CheckpointFolder.ConfigFile))
            File.WriteAllBytes(Path.Combine(folder, name), bytes);
    }

    static string ClassPrefix(string modelType) => modelType switch
    {
        "bert" => "Bert", "roberta" => "Roberta", "distilbert" => "DistilBert", _ => modelType,
    };
}
