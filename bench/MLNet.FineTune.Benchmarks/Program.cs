using MLNet.FineTune.Benchmarks;

// Usage: dotnet run -c Release --project bench/MLNet.FineTune.Benchmarks -- <mode> ...   (each prints one JSON line per run)
//   peft <full|headonly|bitfit|lora|houlsby|pfeiffer|prompt|all> [--quick] [--steps N] [--warmup N]   bert-base, 16x128
//   encoder [--steps N] [--warmup N]              forward of bench.py's encoder, batch 32x128 and 1x128
//   train <full|lora> [--steps N] [--warmup N] [--trim N]  one training step (malloc_trim every N steps, 0 never; default: the trainer's) of bench.py's workload, 32x128
//   sst2 <baseline|finetune> [--rows N] [--epochs N] [--maxlen N] [--seed N] [--hidden N --layers N --heads N --ffn N] [--lr X]
//   scoring <baseline|finetune>                   Transform rows/s and PredictionEngine latency of a reloaded model
//   ops                                           times single ops: LoRA's rank-8 GEMM layouts, dropout, GELU, LayerNorm, softmax
//   soak [--predictions N]                        N single predictions on 4 threads (ThreadSafePredictor), RSS every N/10
//   ner <conll2003|wikiann> [--rows N] [--test-rows N] [--onnx-int8 FOLDER] [--epochs N] [--maxlen N] [--hidden N --layers N --heads N --ffn N] [--lr X]
//                                                 built-in model from scratch, entity F1 (seqeval) on the test split (all rows by default)
//   multitask [--rows-sst2 N] [--rows-ner N] [--test-rows N] [--epochs N] [--sampling mixed|proportional|roundrobin] [...model flags as ner]
//                                                 SST-2 alone, WikiANN alone, both heads on one encoder; quality and scoring time
//   fewshot <mlnet|frozen|finetune|setfit> [--sizes 8,16,64] [--draw-from 0] [--draws 10] [setfit: --head logistic|differentiable [--end-to-end]] [--min-words 0] [--l1 X --l2 X] [FineTune flags]
//                                                 few-shot SST-2 (balanced seeded draws per class), full dev set; one line per draw + mean/std per size
//   fewshot dump [--sizes 8] [--draw-from 0] [--draws 3] [--min-words 0] [--out fewshot-draws]
//                                                 writes those draws and the dev set as TSV (sentence, label 1/0) for bench/setfit_reference.py
//   fewshot pairs-check --model F --pairs P --train T --dev D [--maxlen 64] [--embeddings-out file]
//                                                 SetFit's body training on a given pair list in order (no shuffle) + head; per-step losses, dev accuracy
//   fewshot-summary <results.jsonl>...            mean ± std per method and size over every fewshot line in the files
//   embed-speed [--rounds 3] [--latency-calls 300] [--texts N] [--threads 2] [--only ours|package]   MiniLM embeddings: ours vs the ONNX Runtime package
//   mrpc-embed <frozen|contrastive|cosent> [--epochs 1]   MRPC dev accuracy/F1 by cosine threshold (best-accuracy threshold on train)
//   onnx-speed <prepare [--rows 2000] [--epochs 1] [--maxlen 64] | int8-plans | export-fused | ops <model.onnx> | profile <model.onnx|model.zip> [--tokens 2,15,64] [--threads 2] | run <torch|fp32|int8|fused|fused-int8> [--threads N] [--no-spin] [--parallel] | run-ner <fp32|int8> | all> [--folder F]
//                                                 MiniLM sentiment: TorchSharp vs ONNX Runtime fp32/int8 (accuracy, throughput, latency, RSS, cold start)
//   decoder-step <gpt2|llama> <full|lora> [--steps N] [--warmup N]   one causal-LM training step through Trainer, 8x128 (DecoderWorkload)
//   decoder-generate <gpt2|llama> [--batch 1] [--prompt 32] [--new 64] [--cache true|false] [--runs 3]   greedy tokens/s with TextGenerator
//                                                 (bench/decoder_reference.py is the PyTorch / transformers side of both)
// "peft all" runs each method in its own child process, so every peak RSS (VmHWM) belongs to one method only.
const string Usage = "usage: peft <method|all> [--quick] [--steps N] [--warmup N] | encoder | train <full|lora> [--steps N] | " +
    "sst2 <baseline|finetune> [--rows N] [--epochs N] [--maxlen N] [--seed N] | scoring <baseline|finetune|minilm> [--texts-file tsv] | soak [--predictions N] | " +
    "ner <conll2003|wikiann|wnut17> [--rows N] [--epochs N] [--maxlen N] | mrpc <baseline|finetune> [--rows N] | gemm-floor <full|lora> | conv-gemm | small-gemm | export-hf <minilm|arctic> <folder> | multitask [--rows-sst2 N] [--rows-ner N] [--epochs N] | " +
    "fewshot <mlnet|frozen|finetune|setfit> [--sizes 8,16,64] [--draw-from 0] [--draws 10] | fewshot dump [--sizes 8] [--draws 3] [--out folder] | fewshot pairs-check --model F --pairs P --train T --dev D | fewshot-summary <files> | embed-speed [--only ours|package] | mrpc-embed <frozen|contrastive|cosent> | onnx-speed <prepare|int8-plans|export-fused|ops <model.onnx>|profile <model.onnx|model.zip>|run <torch|fp32|int8|fused|fused-int8>|run-ner <fp32|int8>|all> | " +
    "decoder-step <gpt2|llama> <full|lora> [--steps N] [--warmup N] | decoder-generate <gpt2|llama> [--batch N] [--prompt N] [--new N] [--cache true|false] [--runs N]";
if (args.Length < 1) { Console.Error.WriteLine(Usage); return 2; }
string Arg(int i) => i < args.Length ? args[i] : throw new ArgumentException(Usage);
var rest = args.Skip(2).ToArray();
// Modes that call torch directly load it the way the library does (so MKL gets the library's CPU settings) and say how.
if (args[0] is "peft" or "encoder" or "train" or "ops" or "gemm-floor" or "conv-gemm" or "small-gemm" or "decoder-step" or "decoder-generate")
{
    MLNet.FineTune.Modeling.TorchRuntime.EnsureLoaded();
    Console.Error.WriteLine($"MKL vendor check: {MLNet.FineTune.Modeling.MklVendorCheck.State} ({MLNet.FineTune.Modeling.MklVendorCheck.Detail})");
}
switch (args[0])
{
    case "peft" when Arg(1) == "all":
        foreach (var method in PeftBenchmark.DefaultMethods)
        {
            int code = ChildProcess.Run(new[] { "peft", method }.Concat(rest));
            if (code != 0) return code;
        }
        return 0;
    case "peft":
        Console.WriteLine(PeftBenchmark.Run(args[1], BenchmarkSettings.Parse(rest)));
        return 0;
    case "encoder":
        Console.WriteLine(EncoderBenchmark.Run(Flags.Int(args, "--warmup", 3), Flags.Int(args, "--steps", 20)));
        return 0;
    case "train":
        Console.WriteLine(TrainStepBenchmark.Run(Arg(1), Flags.Int(args, "--warmup", 3), Flags.Int(args, "--steps", 20),
            Flags.Int(args, "--trim", new MLNet.FineTune.Training.TrainingOptions().TrimNativeMemoryEverySteps)));
        return 0;
    case "sst2":
        Console.WriteLine(Sst2Benchmark.Run(Arg(1), rest));
        return 0;
    case "scoring":
        Console.WriteLine(ScoringBenchmark.Run(Arg(1), Flags.String(args, "--texts-file", "") is { Length: > 0 } f ? f : null));
        return 0;
    case "soak":
        Console.WriteLine(SoakBenchmark.Run(Flags.Int(args, "--predictions", 100_000)));
        return 0;
    case "export-hf":
        Console.WriteLine(ExportHf.Run(Arg(1), Arg(2)));
        return 0;
    case "mrpc":
        Console.WriteLine(PairsBenchmark.Run(Arg(1), rest));
        return 0;
    case "ner":
        Console.WriteLine(NerBenchmark.Run(Arg(1), rest));
        return 0;
    case "ops":
        Console.WriteLine(OpProbe.Run());
        return 0;
    case "conv-gemm":
        Console.WriteLine(ConvGemmProbe.Run());
        return 0;
    case "small-gemm":
        Console.WriteLine(SmallBatchGemmProbe.Run());
        return 0;
    case "gemm-floor":
        Console.WriteLine(GemmFloor.Run(Arg(1)));
        return 0;
    case "multitask":
        Console.WriteLine(MultiTaskBenchmark.Run(args.Skip(1).ToArray()));
        return 0;
    case "fewshot" when Arg(1) == "pairs-check":
        Console.WriteLine(SetFitPairsCheck.Run(rest));
        return 0;
    case "fewshot" when Arg(1) == "dump":
        foreach (var line in FewShotDump.Run(rest)) Console.WriteLine(line);
        return 0;
    case "fewshot":
        foreach (var line in FewShotBenchmark.Run(Arg(1), rest)) Console.WriteLine(line);
        return 0;
    case "fewshot-summary":
        foreach (var line in FewShotBenchmark.Summarise(args.Skip(1))) Console.WriteLine(line);
        return 0;
    case "embed-speed":
        Console.WriteLine(EmbeddingThroughputBenchmark.Run(args.Skip(1).ToArray()));
        return 0;
    case "onnx-speed":
        foreach (var line in OnnxSpeedBenchmark.Run(Arg(1), args.Skip(2).ToArray())) Console.WriteLine(line);
        return 0;
    case "mrpc-embed":
        Console.WriteLine(MrpcEmbeddingBenchmark.Run(Arg(1), rest));
        return 0;
    case "decoder-step":
        Console.WriteLine(DecoderStepBenchmark.Run(Arg(1), Arg(2), Flags.Int(args, "--warmup", 2), Flags.Int(args, "--steps", 5)));
        return 0;
    case "decoder-generate":
        Console.WriteLine(DecoderGenerationBenchmark.Run(Arg(1), rest));
        return 0;
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}
