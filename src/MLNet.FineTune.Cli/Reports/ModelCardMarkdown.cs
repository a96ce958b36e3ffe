using System.Globalization;
using System.Text;

namespace MLNet.FineTune.Cli.Reports;

/// <summary>The model card (model_card.json inside the zip) as the README.md beside the model.</summary>
internal static class ModelCardMarkdown
{
    public const string FileName = "README.md";

    public static string Render(ModelCard card, string command)
    {
        var md = new StringBuilder();
        md.Append("# Fine-tuned ").Append(card.BaseModel).Append("\n\n");
        md.Append("Trained with `mlnet-finetune` (MLNet.FineTune ").Append(card.LibraryVersion).Append(").\n\n");
        md.Append("| | |\n|---|---|\n");
        void Row(string name, object? value) => AppendRow(md, name, value);
        Row("Base model", card.BaseModel);
        Row("Base weights sha256", card.BaseWeightsSha256);
        Row("Base licence", card.BaseModelLicense);
        Row("Architecture", card.ModelType);
        Row("Fine-tuning method", card.PeftMethod);
        Row("Parameters", card.Parameters);
        Row("Heads", string.Join("; ", card.Heads));
        Row("Training rows", card.TrainingRows);
        Row("Training data sha256", card.TrainingDataSha256);
        Row("Steps", card.Steps);
        Row("Stopped", card.StopReason);
        Row("Learning rate", card.LearningRate.ToString("G", CultureInfo.InvariantCulture));
        Row("Epochs", card.Epochs);
        Row("Batch size", card.BatchSize);
        Row("Seed", card.Seed);
        Row("Created (UTC)", card.CreatedUtc.ToString("u", CultureInfo.InvariantCulture));
        return AppendEnd(md, card.FinalMetrics, command);
    }

    static void AppendRow(StringBuilder md, string name, object? value)
    {
        if (value is not null && Convert.ToString(value, CultureInfo.InvariantCulture) is { Length: > 0 } s) md.Append("| ").Append(name).Append(" | ").Append(s.Replace("|", "\\|")).Append(" |\n");
    }

    /// <summary>The validation metrics, the command that reproduces the run and how to load the zip.</summary>
    static string AppendEnd(StringBuilder md, IReadOnlyDictionary<string, double> metrics, string command)
    {
        if (metrics.Count > 0)
        {
            md.Append("\n## Validation metrics\n\n| metric | value |\n|---|---|\n");
            foreach (var (k, v) in metrics) md.Append("| ").Append(k).Append(" | ").Append(v.ToString("F4", CultureInfo.InvariantCulture)).Append(" |\n");
        }
        md.Append("\n## Reproduce\n\n```\n").Append(command).Append("\n```\n\n");
        md.Append("## Use\n\n```csharp\nvar ml = new MLContext();\nvar model = ml.Model.LoadChecked(\"model.zip\", out var schema);\n```\n");
        return md.ToString();
    }

    /// <summary>The card of a SetFit, embedding or text-generation model (their zips hold no model_card.json): the run's settings and validation metrics.</summary>
    public static string RenderRun(Training.TrainConfig config, int trainingRows, MLNet.FineTune.Training.TrainingHistory history,
        IReadOnlyDictionary<string, double> metrics, string command)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(config.Task switch
        {
            "setfit" => "SetFit classifier on ",
            "completions" => "Text generation fine-tuned from ",
            _ => "Fine-tuned sentence embeddings from ",
        }).Append(config.Model).Append("\n\n");
        md.Append("Trained with `mlnet-finetune`.\n\n| | |\n|---|---|\n");
        void Row(string name, object? value) => AppendRow(md, name, value);
        Row("Base model", config.Model);
        Row("Task", config.Task);
        Row("Loss", config.Loss);
        Row("SetFit head", config.SetFitHead);
        Row("SetFit iterations", config.SetFitIterations);
        Row("Chat template", config.ChatTemplate);
        Row("Packing", config.Packing);
        Row("Fine-tuning method", config.Peft == "lora" ? $"lora (rank {config.LoraRank})" : config.Peft);
        Row("Training rows", trainingRows);
        Row("Steps", history.GlobalStep);
        Row("Learning rate", config.LearningRate);
        Row("Epochs", config.Epochs);
        Row("Batch size", config.BatchSize);
        Row("Seed", config.Seed);
        return AppendEnd(md, metrics, command);
    }
}
