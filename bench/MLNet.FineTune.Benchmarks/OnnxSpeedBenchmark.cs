using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;
using MLNet.FineTune.Onnx;
using TorchSharp;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// TorchSharp vs ONNX Runtime (fp32, dynamic int8) scoring of one fine-tuned all-MiniLM-L6-v2 sentiment model.
/// <c>prepare</c> fine-tunes it briefly on an SST-2 train subset (only the fp32 → int8 accuracy delta matters), saves the
/// model zip, exports fp32 and int8 ONNX files, and reports dev accuracy of all three plus the file sizes.
/// <c>run &lt;torch|fp32|int8&gt;</c> (one process each, so cold start and peak RSS are its own): cold start = process
/// start → first prediction, batch-32 Transform throughput over the 872 dev sentences, single-sentence PredictionEngine
/// p50/p99 over 300 calls, peak RSS. <c>all</c> runs the three in child processes.
/// </summary>
public static class OnnxSpeedBenchmark
{
    const int Calls = 300, WarmupCalls = 20;

    public static IEnumerable<string> Run(string step, string[] args)
    {
        var folder = Flags.String(args, "--folder", Path.Combine(Path.GetTempPath(), "mlnet-finetune-onnx-speed"));
        switch (step)
        {
            case "prepare": yield return Prepare(folder, args); break;
            case "int8-plans": yield return Int8Plans(folder); break;
            case "ops": yield return OnnxOpsProbe.Run(args.Length > 0 ? args[0] : throw new ArgumentException("onnx-speed ops <model.onnx>")); break;
            case "export-fused": yield return ExportFused(folder); break;
            case "profile":
                var model = args.Length > 0 ? args[0] : throw new ArgumentException("onnx-speed profile <model.onnx|model.zip> [--tokens 2,15,64] [--threads 2]");
                var tokenCounts = Flags.String(args, "--tokens", "2,15,64").Split(',').Select(int.Parse).ToArray();
                yield return model.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)
                    ? OnnxRowProfile.RunTorch(model, tokenCounts, Flags.Int(args, "--threads", 2))
                    : OnnxRowProfile.Run(model, tokenCounts, Flags.Int(args, "--threads", 2));
                break;
            case "run": yield return Score(args.Length > 0 ? args[0] : throw new ArgumentException("onnx-speed run <torch|fp32|int8|fused|fused-int8>"), folder, args); break;
            case "run-ner": yield return ScoreNer(args.Length > 0 ? args[0] : throw new ArgumentException("onnx-speed run-ner <fp32|int8> --folder F"), folder); break;
            case "all":
                foreach (var system in new[] { "torch", "fp32", "int8" })
                    if (ChildProcess.Run(["onnx-speed", "run", system, "--folder", folder]) != 0) throw new InvalidOperationException($"onnx-speed run {system} failed");
                break;
            default: throw new ArgumentException("onnx-speed <prepare|int8-plans|export-fused|ops|profile|run|run-ner|all>");
        }
    }

    static string Zip(string folder) => Path.Combine(folder, "sentiment.zip");
    static string Onnx(string folder, string system) => Path.Combine(folder, $"sentiment-{system}.onnx");

    static string Prepare(string folder, string[] args)
    {
        torch.set_num_threads(2);
        Directory.CreateDirectory(folder);
        var ml = new MLContext(seed: 1);
        int rows = Flags.Int(args, "--rows", 2000);
        var train = SentimentData.TrainSubset(ml, rows);
        var clock = Stopwatch.StartNew();
        var model = ml.Transforms.FineTune(new FineTuneOptions
        {
            BaseModel = MLNet.FineTune.Pretrained.PretrainedModels.AllMiniLmL6V2,
            MaxSequenceLength = Flags.Int(args, "--maxlen", 64),
            Training = FineTuneDefaults.ForCheckpoint with { Epochs = Flags.Int(args, "--epochs", 1), LoggingSteps = 1_000_000 },
        }).Fit(train);
        double fitSeconds = clock.Elapsed.TotalSeconds;
        ml.Model.Save(model, train.Schema, Zip(folder));
        model.ExportOnnx(Onnx(folder, "fp32"));
        model.ExportOnnx(Onnx(folder, "int8"), new OnnxExportOptions { Quantization = OnnxQuantization.DynamicInt8 });

        var dev = SentimentData.Load(ml, "dev.tsv");
        using var fp32 = ml.Model.LoadFineTuneOnnx(Onnx(folder, "fp32"));
        using var int8 = ml.Model.LoadFineTuneOnnx(Onnx(folder, "int8"));
        var p32 = fp32.Transform(dev).GetColumn<float>("Probability").ToArray();
        var p8 = int8.Transform(dev).GetColumn<float>("Probability").ToArray();
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mode"] = "onnx-speed prepare",
            ["train_rows"] = rows,
            ["fit_s"] = Math.Round(fitSeconds, 1),
            ["dev_accuracy_torch"] = Math.Round(SentimentData.Accuracy(ml, model.Transform(dev)), 4),
            ["dev_accuracy_fp32"] = Math.Round(SentimentData.Accuracy(ml, fp32.Transform(dev)), 4),
            ["dev_accuracy_int8"] = Math.Round(SentimentData.Accuracy(ml, int8.Transform(dev)), 4),
            ["max_abs_probability_fp32_vs_int8"] = Math.Round(p32.Zip(p8, (a, b) => (double)Math.Abs(a - b)).Max(), 5),
            ["zip_mb"] = Mb(Zip(folder)),
            ["onnx_fp32_mb"] = Mb(Onnx(folder, "fp32")),
            ["onnx_int8_mb"] = Mb(Onnx(folder, "int8")),
            ["load"] = File.ReadAllText("/proc/loadavg").Trim(),
        }) + Environment.NewLine + Int8Plans(folder, ml, model, dev);
    }

    /// <summary>The int8 variants (which MatMuls stay float, <see cref="Export.Int8Plan"/>) measured on the prepared model.</summary>
    static readonly Export.Int8Plan[] Plans =
    [
        Export.Int8Plan.All, new(true, false, 0), new(false, true, 0), new(true, true, 0), new(true, false, 1), new(true, true, 1), new(true, false, 2),
    ];

    /// <summary>
    /// Dev accuracy and file size of each int8 plan, from the model zip <c>prepare</c> saved (accuracy does not depend on
    /// machine load, so this can run apart from the timed runs).
    /// </summary>
    static string Int8Plans(string folder)
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Model.Load(Zip(folder), out _) as FineTuneTransformer ?? throw new InvalidOperationException($"{Zip(folder)} is not a FineTune model.");
        return Int8Plans(folder, ml, model, SentimentData.Load(ml, "dev.tsv"));
    }

    static string Int8Plans(string folder, MLContext ml, FineTuneTransformer model, IDataView dev)
    {
        using (var fp32 = ml.Model.LoadFineTuneOnnx(Onnx(folder, "fp32")))
            Console.WriteLine(JsonSerializer.Serialize(new { plan = "fp32", dev_accuracy = Math.Round(SentimentData.Accuracy(ml, fp32.Transform(dev)), 4), onnx_mb = Mb(Onnx(folder, "fp32")) }));
        var lines = new List<string>();
        foreach (var plan in Plans)
        {
            var path = Onnx(folder, "int8-" + plan.Name);
            Export.OnnxExport.Save(model.BuildOnnx(quantize: true, plan), path);
            using var scorer = ml.Model.LoadFineTuneOnnx(path);
            var line = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["mode"] = "onnx-speed int8-plan",
                ["float_kept"] = plan.Name,
                ["dev_accuracy"] = Math.Round(SentimentData.Accuracy(ml, scorer.Transform(dev)), 4),
                ["onnx_mb"] = Mb(path),
            });
            Console.WriteLine(line);
            lines.Add(line);
        }
        return string.Join(Environment.NewLine, lines);
    }

    static double Mb(string path) => Math.Round(new FileInfo(path).Length / 1e6, 1);

    /// <summary>
    /// The ONNX Runtime fused-operator exports (<see cref="OnnxOperators.OnnxRuntimeFused"/>, fp32 and default-plan int8)
    /// of the model <c>prepare</c> saved, with dev accuracy and the largest probability difference to the standard export.
    /// </summary>
    static string ExportFused(string folder)
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Model.Load(Zip(folder), out _) as FineTuneTransformer ?? throw new InvalidOperationException($"{Zip(folder)} is not a FineTune model.");
        model.ExportOnnx(Onnx(folder, "fused"), new OnnxExportOptions { Operators = OnnxOperators.OnnxRuntimeFused });
        model.ExportOnnx(Onnx(folder, "fused-int8"), new OnnxExportOptions { Operators = OnnxOperators.OnnxRuntimeFused, Quantization = OnnxQuantization.DynamicInt8 });
        var dev = SentimentData.Load(ml, "dev.tsv");
        var result = new Dictionary<string, object> { ["mode"] = "onnx-speed export-fused" };
        float[]? reference = null;
        foreach (var system in new[] { "fp32", "fused", "int8", "fused-int8" })
        {
            using var scorer = ml.Model.LoadFineTuneOnnx(Onnx(folder, system));
            var scored = scorer.Transform(dev);
            var p = scored.GetColumn<float>("Probability").ToArray();
            reference ??= p;
            result[$"dev_accuracy_{system}"] = Math.Round(SentimentData.Accuracy(ml, scored), 4);
            result[$"max_abs_probability_{system}_vs_fp32"] = p.Zip(reference, (a, b) => (double)Math.Abs(a - b)).Max();
            result[$"onnx_{system}_mb"] = Mb(Onnx(folder, system));
        }
        return JsonSerializer.Serialize(result);
    }

    /// <summary>ONNX Runtime session settings from the command line: <c>--threads N</c> (intra-op), <c>--no-spin</c>, <c>--parallel</c> (execution mode).</summary>
    static Microsoft.ML.OnnxRuntime.SessionOptions? SessionSettings(string[] args)
    {
        int threads = Flags.Int(args, "--threads", 0);
        bool noSpin = Flags.Bool(args, "--no-spin"), parallel = Flags.Bool(args, "--parallel");
        if (threads == 0 && !noSpin && !parallel) return null;
        var options = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = threads };
        if (noSpin) options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (parallel) options.ExecutionMode = Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_PARALLEL;
        return options;
    }

    static string Score(string system, string folder, string[] args)
    {
        var ml = new MLContext();
        ITransformer model = system switch
        {
            "torch" => ml.Model.Load(Zip(folder), out _),
            "fp32" or "int8" or "fused" or "fused-int8" => ml.Model.LoadFineTuneOnnx(Onnx(folder, system), batchSize: 32, SessionSettings(args)),
            _ => throw new ArgumentException($"Unknown system '{system}' (torch, fp32, int8, fused, fused-int8)."),
        };
        if (system == "torch") torch.set_num_threads(2);
        var sentences = SentimentData.Rows(ml, "dev.tsv");
        var settings = string.Join(" ", args.Skip(1).Where(a => a != "--folder" && a != folder));
        return Measure<Sst2Row, BinaryPrediction>("onnx-speed run", settings.Length > 0 ? $"{system} {settings}" : system, ml, model, ml.Data.LoadFromEnumerable(sentences),
            sentences.Select(s => s.Text).ToList(), text => new Sst2Row { Text = text });
    }

    /// <summary>
    /// Cold start (process start → first PredictionEngine prediction), batched Transform throughput over <paramref name="data"/>
    /// after a 64-row warm-up, single-text latency over <paramref name="texts"/>, peak RSS, whether libtorch got loaded.
    /// </summary>
    static string Measure<TIn, TOut>(string mode, string system, MLContext ml, ITransformer model, IDataView data, List<string> texts, Func<string, TIn> row)
        where TIn : class where TOut : class, new()
    {
        var engine = ml.Model.CreatePredictionEngine<TIn, TOut>(model);
        engine.Predict(row(texts[0]));
        double coldStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds;

        ml.Data.CreateEnumerable<TOut>(model.Transform(ml.Data.TakeRows(data, 64)), reuseRowObject: true).Count(); // warm-up
        var clock = Stopwatch.StartNew();
        int scored = ml.Data.CreateEnumerable<TOut>(model.Transform(data), reuseRowObject: true).Count();
        double transformSeconds = clock.Elapsed.TotalSeconds;

        var latencies = PredictLatency.Measure(engine, texts, row, WarmupCalls, Calls);
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mode"] = mode,
            ["system"] = system,
            ["rows"] = scored,
            ["cold_start_s"] = Math.Round(coldStart, 2),
            ["batch32_rows_per_s"] = Math.Round(scored / transformSeconds, 1),
            ["predict_p50_ms"] = Math.Round(Stats.Percentile(latencies, 50), 2),
            ["predict_p99_ms"] = Math.Round(Stats.Percentile(latencies, 99), 2),
            ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
            ["libtorch_loaded"] = File.ReadAllText("/proc/self/maps").Contains("libtorch", StringComparison.Ordinal),
            ["load"] = File.ReadAllText("/proc/loadavg").Trim(),
        });
    }

    sealed class NerRow { public string Text { get; set; } = ""; }
    sealed class NerPrediction { public string[] PredictedTags { get; set; } = []; }

    /// <summary>
    /// The MiniLM NER model's ONNX exports (<c>bench ner conll2003 --model minilm ... --onnx-int8 F</c> writes
    /// ner-fp32.onnx and ner-int8-head+ffn-output.onnx, the default int8 plan, into F): the same measurements as
    /// <see cref="Score"/> over the CoNLL-2003 test sentences. No TorchSharp row: that command does not save the model zip.
    /// </summary>
    static string ScoreNer(string system, string folder)
    {
        var path = Path.Combine(folder, system switch
        {
            "fp32" => "ner-fp32.onnx",
            "int8" => "ner-int8-head+ffn-output.onnx",
            _ => throw new ArgumentException($"Unknown system '{system}' (fp32, int8)."),
        });
        var ml = new MLContext();
        using var model = ml.Model.LoadFineTuneOnnx(path, batchSize: 32);
        var test = NerData.Load("conll2003", "test").ToDataView(ml, ConllColumns.Text);
        return Measure<NerRow, NerPrediction>("onnx-speed run-ner", system, ml, model, test, test.GetColumn<string>("Text").ToList(), text => new NerRow { Text = text });
    }
}
