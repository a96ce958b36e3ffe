using MLNet.FineTune.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Training;

/// <summary>A batch of the tiny classification task: features [B, 5], labels [B].</summary>
internal sealed record TinyBatch(Tensor Features, Tensor Labels);

/// <summary>5 → 7 → LayerNorm → ReLU → dropout → 3: odd sizes, a norm layer (no-decay group) and dropout (RNG use).</summary>
internal sealed class TinyMlp : nn.Module<Tensor, Tensor>
{
    readonly Linear fc1;
    readonly LayerNorm norm;
    readonly Dropout dropout;
    readonly Linear fc2;

    public TinyMlp(double dropoutRate = 0.1) : base(nameof(TinyMlp))
    {
        fc1 = nn.Linear(5, 7);
        norm = nn.LayerNorm(7);
        dropout = nn.Dropout(dropoutRate);
        fc2 = nn.Linear(7, 3);
        RegisterComponents();
    }

    public Linear First => fc1;

    public override Tensor forward(Tensor x) => fc2.forward(dropout.forward(nn.functional.relu(norm.forward(fc1.forward(x)))));
}

/// <summary>The tiny model behind the <see cref="ITrainableModel{TBatch}"/> contract.</summary>
internal sealed class TinyModel : ITrainableModel<TinyBatch>
{
    public TinyModel(int initSeed = 7, double dropout = 0.1)
    {
        manual_seed(initSeed);
        Mlp = new TinyMlp(dropout);
    }

    public TinyMlp Mlp { get; }

    public nn.Module Module => Mlp;

    public Tensor ComputeLoss(TinyBatch batch) => Losses.CrossEntropy(Mlp.forward(batch.Features), batch.Labels);

    /// <summary>Copies of every parameter, by name, for before/after comparisons.</summary>
    public Dictionary<string, float[]> Weights() =>
        Mlp.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu().data<float>().ToArray());
}

/// <summary>Random examples from a fixed seed: features in [-1, 1), labels 0..2, lengths 1..20 (for bucketing).</summary>
internal sealed class TinyData : IBatchSource<TinyBatch>
{
    readonly float[][] _features;
    readonly long[] _labels;
    readonly int[] _lengths;

    public TinyData(int count, int seed = 3)
    {
        var random = new Random(seed);
        _features = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 5).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        _labels = Enumerable.Range(0, count).Select(_ => (long)random.Next(3)).ToArray();
        _lengths = Enumerable.Range(0, count).Select(_ => random.Next(1, 21)).ToArray();
    }

    public int Count => _labels.Length;

    public int GetLength(int index) => _lengths[index];

    public TinyBatch CreateBatch(IReadOnlyList<int> indices) => new(
        tensor(indices.SelectMany(i => _features[i]).ToArray(), [indices.Count, 5]),
        tensor(indices.Select(i => _labels[i]).ToArray()));

    public TinyBatch All() => CreateBatch(Enumerable.Range(0, Count).ToArray());
}

/// <summary>Synchronous progress sink (Progress&lt;T&gt; posts asynchronously, too late to cancel at a given step).</summary>
internal sealed class InlineProgress(Action<FineTuneProgress> onReport) : IProgress<FineTuneProgress>
{
    public void Report(FineTuneProgress value) => onReport(value);
}

internal static class WeightAssert
{
    public static void Equal(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual, double tolerance = 0)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList());
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            for (int i = 0; i < e.Length; i++)
                if (!(Math.Abs(e[i] - a[i]) <= tolerance))
                    Assert.Fail($"{name}[{i}]: expected {e[i]:R}, got {a[i]:R} (tolerance {tolerance}).");
        }
    }

    public static bool Differ(Dictionary<string, float[]> a, Dictionary<string, float[]> b) =>
        a.Any(kv => !kv.Value.SequenceEqual(b[kv.Key]));
}
