using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = TorchSharp.torch.Tensor;
using MLNet.FineTune.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Heads.TokenTagging;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// Tiny random networks for export tests: every parameter is perturbed (LoRA's B and the adapters' up-projections start
/// at zero, which would make merging untestable), and padded id batches to run them on.
/// </summary>
internal static class ExportTestNetworks
{
    public static readonly string[] Tags = ["O", "B-PER", "I-PER", "B-LOC"];

    public static IFittedHead Binary(string name = "sentiment") => new FittedClassificationHead(name, "Label", ["False", "True"], "bool", 0, null);
    public static IFittedHead Multiclass(string name = "topic") => new FittedClassificationHead(name, "Topic", ["sport", "tech", "art"], "text", 0, null);
    public static IFittedHead Regression(string name = "score") => new FittedRegressionHead(name, "Score");
    public static IFittedHead Tokens(string name = "ner") =>
        new FittedTokenClassificationHead(name, "Tags", Tags, false, TagScheme.Iob2, InvalidTagHandling.Repair, 0, null, 1);

    public static PeftOptions Peft(PeftMethod method) => new()
    {
        Method = method,
        Lora = new LoraOptions { Rank = 4, Alpha = 8, TargetModulesPattern = LoraOptions.AllLinear },
        Bottleneck = new BottleneckOptions { ReductionFactor = 4, NonLinearity = "gelu" },
        PromptTuning = new PromptTuningOptions { NumVirtualTokens = 3 },
    };

    public static TaskNetwork Build(string modelType, PeftMethod method, params IFittedHead[] heads)
    {
        torch.manual_seed(17);
        var config = TinyModels.ByType(modelType);
        var peft = new PeftModel(Peft(method), config.ModelType, heads.Select(h => h.Name).ToList());
        var encoder = EncoderFactory.Create(config, peft.Projection);
        var modules = heads.Select(h => h.CreateModule(config)).ToList();
        var network = new TaskNetwork(encoder, heads, modules, peft);
        using (no_grad())
            foreach (var (_, p) in network.named_parameters())
                p.add_(randn_like(p).mul_(0.05));
        network.eval();
        return network;
    }

    /// <summary>A padded batch (rows of 7, 4 and 1 real tokens) and single rows, as (ids, mask, types) row-major (B, T).</summary>
    public static IEnumerable<(long[] Ids, long[] Mask, long[] Types, int B, int T)> Batches(TransformerConfig config)
    {
        var random = new Random(5);
        int[] lengths = [7, 4, 1];
        int t = lengths.Max();
        long pad = config.PadTokenId;
        (long[], long[], long[], int, int) Make(int[] rows)
        {
            int b = rows.Length, width = rows.Max();
            var ids = new long[b * width]; var mask = new long[b * width]; var types = new long[b * width];
            for (int r = 0; r < b; r++)
                for (int j = 0; j < width; j++)
                {
                    bool real = j < rows[r];
                    ids[r * width + j] = real ? random.Next(5, config.VocabSize) : pad;
                    mask[r * width + j] = real ? 1 : 0;
                    types[r * width + j] = real && config.TypeVocabSize > 1 && j >= rows[r] / 2 + 1 ? 1 : 0; // a second segment
                }
            return (ids, mask, types, b, width);
        }
        yield return Make(lengths);
        yield return Make([5]);
    }

    public static Tensor[] TorchLogits(TaskNetwork network, (long[] Ids, long[] Mask, long[] Types, int B, int T) batch)
    {
        using var _ = no_grad();
        var shape = new long[] { batch.B, batch.T };
        var textBatch = new TextBatch(tensor(batch.Ids, shape), tensor(batch.Mask, shape), tensor(batch.Types, shape), [], batch.B);
        return network.Forward(textBatch);
    }

    public static Dictionary<string, Array> OnnxRuntime(InferenceSession session, (long[] Ids, long[] Mask, long[] Types, int B, int T) batch)
    {
        var dims = new[] { batch.B, batch.T };
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.Ids, dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.Mask, dims)),
        };
        if (session.InputMetadata.ContainsKey("token_type_ids"))
            inputs.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(batch.Types, dims)));
        using var results = session.Run(inputs);
        return results.ToDictionary(r => r.Name, r => r.Value switch
        {
            DenseTensor<float> f => (Array)f.ToArray(),
            DenseTensor<bool> b => b.ToArray(),
            DenseTensor<uint> u => u.ToArray(),
            var other => throw new InvalidOperationException($"unexpected output type {other?.GetType().Name}"),
        });
    }

    public static float[] Floats(Tensor t) => t.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
}
