using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Pretrained;

namespace MLNet.FineTune.Cli.Training;

/// <summary><c>--model</c>: <c>minilm</c>, <c>arctic-xs</c>, <c>builtin</c>, a Hugging Face checkpoint folder, or a BERT <c>model.onnx</c> file.</summary>
internal static class ModelReference
{
    public static FineTuneOptions Apply(FineTuneOptions options, string model) => model.Trim().ToLowerInvariant() switch
    {
        "minilm" or "all-minilm-l6-v2" => options with { BaseModel = PretrainedModels.AllMiniLmL6V2 },
        "arctic-xs" or "arctic" or "snowflake-arctic-embed-xs" => options with { BaseModel = PretrainedModels.ArcticEmbedXs },
        "builtin" => options,
        _ => options with { BaseModelFolder = Folder(model) },
    };

    /// <summary>The folder holding the base model's weights and tokenizer; null for the builtin model.</summary>
    public static string? BaseFolder(string model)
    {
        var options = Apply(new FineTuneOptions(), model);
        return options.BaseModel?.GetFolder() ?? options.BaseModelFolder;
    }

    public static bool IsBuiltIn(string model) => model.Trim().Equals("builtin", StringComparison.OrdinalIgnoreCase);

    static string Folder(string model)
    {
        if (Directory.Exists(model)) return Path.GetFullPath(model);
        if (File.Exists(model) && model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            // The importer reads a folder holding model.onnx and the tokenizer files (vocab.txt …).
            if (!Path.GetFileName(model).Equals("model.onnx", StringComparison.Ordinal))
                throw new UserError($"--model '{model}': an ONNX file must be named model.onnx, beside its tokenizer files (vocab.txt); rename it or pass its folder.");
            return Path.GetDirectoryName(Path.GetFullPath(model))!;
        }
        throw new UserError($"--model '{model}' is neither minilm, arctic-xs, builtin, an existing checkpoint folder nor a model.onnx file.");
    }

    /// <summary>The training defaults for this base (learning rate, warmup) before the CLI's own choices.</summary>
    public static MLNet.FineTune.Training.TrainingOptions Defaults(string model) => IsBuiltIn(model) ? FineTuneDefaults.ForBuiltInModel : FineTuneDefaults.ForCheckpoint;
}
