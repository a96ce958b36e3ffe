using MLNet.FineTune.Cli.Output;
using System.ComponentModel;
using System.Text.Json;
using MLNet.FineTune.Cli.Training;
using MLNet.FineTune.Peft;
using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.Commands;

/// <summary><c>mlnet-finetune export</c>.</summary>
internal sealed class ExportCommand : Command<ExportCommand.Settings>
{
    /// <summary>The command's arguments and options.</summary>
    internal sealed class Settings : CommonSettings
    {
        [CommandOption("--model <ZIP>")]
        [Description("The model zip (model.zip of a train run).")]
        public string? Model { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("onnx (one self-contained .onnx file), peft (the LoRA or prompt-tuning adapter folder, PEFT's format; the only one for completions models), or hf (a Hugging Face folder: model.safetensors with LoRA merged, config.json, tokenizer files).")]
        public string? Format { get; init; }

        [CommandOption("--head <NAME>")]
        [Description("peft, for a multi-task model trained with --adapter-per-task: export only this head's adapter (default: every head's, in <output>/<head>/).")]
        public string? Head { get; init; }

        [CommandOption("--onnx-operators <SET>")]
        [Description("onnx: standard (default; portable ONNX that any runtime runs and the importer reads back) or fused (ONNX Runtime's com.microsoft Attention and BiasGelu; runs only in ONNX Runtime, measured no faster on CPU: docs/benchmarks.md).")]
        public string? OnnxOperators { get; init; }

        [CommandOption("-o|--output <PATH>")]
        [Description("onnx: the .onnx file (or a folder to write model.onnx into); peft, hf: the folder to write.")]
        public string? Output { get; init; }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) => CliOutput.Guard(settings.Json, () => Run(settings));

    static int Run(Settings s)
    {
        if (s.Model is null) throw new UserError("--model is required (a model zip).");
        if (s.Output is null) throw new UserError("--output is required.");
        string format = s.Format?.Trim().ToLowerInvariant() ?? throw new UserError("--format is required: onnx, peft or hf.");
        if (format is not ("onnx" or "peft" or "hf")) throw new UserError($"--format '{s.Format}' is not a format; use onnx, peft or hf.");
        if (s.OnnxOperators is not null && format != "onnx") throw new UserError("--onnx-operators applies to --format onnx.");
        var operators = s.OnnxOperators?.Trim().ToLowerInvariant() switch
        {
            null or "standard" => OnnxOperators.Standard,
            "fused" => OnnxOperators.OnnxRuntimeFused,
            _ => throw new UserError($"--onnx-operators '{s.OnnxOperators}' is not an operator set; use standard or fused."),
        };
        var (_, fitted) = FittedModel.LoadAny(s.Model);
        if (fitted.Generation is { } generation) return ExportAdapter(generation, format, s);
        var model = fitted.FineTune ?? throw new UserError($"--model '{s.Model}' holds a {CliTasks.Name(fitted.Task)} model; export writes FineTune and text-generation models.");
        string written;
        IReadOnlyList<string>? heads = null;
        if (s.Head is not null && format != "peft") throw new UserError("--head applies to --format peft (one task's adapter of a multi-task model).");
        switch (format)
        {
            case "onnx":
                written = Path.GetFullPath(s.Output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? s.Output : Path.Combine(s.Output, "model.onnx"));
                Directory.CreateDirectory(Path.GetDirectoryName(written)!);
                model.ExportOnnx(written, new OnnxExportOptions { Operators = operators });
                break;
            case "peft":
                written = Path.GetFullPath(s.Output);
                heads = WriteAdapter(model, written, s.Head);
                break;
            default:
                written = Path.GetFullPath(s.Output);
                HuggingFaceFolder.Write(model, written);
                break;
        }
        var files = Directory.Exists(written) ? Directory.GetFileSystemEntries(written).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray() : [Path.GetFileName(written)];
        if (s.Json)
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["model"] = Path.GetFullPath(s.Model), ["format"] = format, ["output"] = written, ["files"] = files,
                ["peft_method"] = model.Settings.Peft.Method.ToString(), ["heads"] = heads,
                ["onnx_operators"] = format == "onnx" ? operators.ToString() : null,
            }, JsonOutput.Options));
        else Console.WriteLine($"Wrote {format} export to {written} ({string.Join(", ", files)}).");
        return ExitCode.Ok;
    }

    /// <summary>A text-generation model (<c>train --task completions</c>): its LoRA adapter in PEFT's format.</summary>
    static int ExportAdapter(TextGenerationTransformer model, string format, Settings s)
    {
        if (format != "peft")
            throw new UserError($"--format {format}: a text-generation model exports as --format peft (its LoRA adapter, for PEFT or TextGenerationFineTuneOptions.AdapterFolder); the model zip itself loads in C# with MLContext.Model.Load.");
        if (s.Head is not null) throw new UserError("--head applies to multi-task models; a text-generation model has one adapter.");
        var written = Path.GetFullPath(s.Output!);
        try { model.SaveLoraAdapter(written); }
        catch (InvalidOperationException e) { throw new UserError("--format peft: " + e.Message); }
        var files = Directory.GetFileSystemEntries(written).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        if (s.Json)
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["model"] = Path.GetFullPath(s.Model!), ["format"] = format, ["output"] = written, ["files"] = files, ["peft_method"] = "Lora",
            }, JsonOutput.Options));
        else Console.WriteLine($"Wrote {format} export to {written} ({string.Join(", ", files)}).");
        return ExitCode.Ok;
    }

    /// <summary>Writes the PEFT adapter folder; with one adapter per task, one folder per head. Returns the heads written, or null.</summary>
    static IReadOnlyList<string>? WriteAdapter(FineTuneTransformer model, string folder, string? head)
    {
        var method = model.Settings.Peft.Method;
        var names = model.Heads.Select(h => h.Name).ToList();
        if (head is not null && !names.Contains(head))
            throw new UserError($"--head '{head}' is not a head of this model; its heads are {string.Join(", ", names)}.");
        if (model.Settings.Peft.AdapterPerTask)
        {
            if (method != PeftMethod.Lora)
                throw new UserError($"--format peft: the model has one {method} bottleneck adapter per task, and PEFT's adapter format holds LoRA and prompt tuning only " +
                    "(bottleneck adapters have no PEFT class to load them); export the whole multi-task model with --format onnx.");
            // One PEFT folder per task: what PeftModel.from_pretrained loads onto the shared base, task by task.
            if (head is not null) { model.SaveLoraAdapter(folder, head); return [head]; }
            foreach (var name in names) model.SaveLoraAdapter(Path.Combine(folder, name), name);
            return names;
        }
        if (head is not null && names.Count > 1)
            throw new UserError($"--head '{head}': the model's {method} weights are shared by all its heads (trained without --adapter-per-task); export them without --head.");
        if (method == PeftMethod.Lora) { model.SaveLoraAdapter(folder); return null; }
        if (method == PeftMethod.PromptTuning && model.Network.Peft?.Prompt is { } prompt)
        {
            PromptTuningAdapterFile.Save(folder, prompt, model.Network.Encoder.Config, model.Network.Tasks[0].IsTokenLevel ? "TOKEN_CLS" : "SEQ_CLS", model.Package.BaseName);
            return null;
        }
        throw new UserError($"--format peft: the model was trained with {method}; a PEFT adapter folder exists for lora and prompt tuning. Use --format hf (full, head-only, bitfit, lora) or --format onnx.");
    }
}
