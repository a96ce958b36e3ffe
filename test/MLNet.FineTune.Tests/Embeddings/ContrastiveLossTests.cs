using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tests.Robustness;
using MLNet.FineTune.Tests.Tokenization;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// One training step of each loss on a tiny random BERT (dropout 0), checked against the loss written out by hand: its
/// value from the pooled embeddings as plain doubles, and the first AdamW step of one weight against the gradient of the
/// hand-written formula (the first AdamW step moves each weight by −lr·g/(|g| + eps)).
/// </summary>
[TestClass]
public class ContrastiveLossTests
{
    static readonly string[] First = ["hello world", "a b c", "new york !", "d e"];
    static readonly string[] Second = ["hello world !", "a b c d", "york", "e d c b"];
    static readonly float[] Scores = [0.9f, 0.1f, 0.5f, 0.3f];
    static readonly float[] Labels = [1f, 0f, 1f, 0f];
    const double Scale = 20, Margin = 0.5, LearningRate = 1e-3;
    const string Watched = "bert.encoder.layer.1.output.dense.weight";

    static TempFolder checkpoint = null!;

    [ClassInitialize]
    public static void Init(TestContext _) { checkpoint = new TempFolder(); CorpusFixtures.TinyBert(checkpoint.Path); }

    [ClassCleanup]
    public static void Cleanup() => checkpoint.Dispose();

    static ModelPackage Package => ModelPackage.FromCheckpoint(checkpoint.Path, dropout: 0);

    static float[]? TargetsFor(ContrastiveLoss loss) => loss switch
    {
        ContrastiveLoss.MultipleNegativesRanking => null,
        ContrastiveLoss.Contrastive => Labels,
        _ => Scores,
    };

    static List<ContrastivePair> Pairs(ModelPackage package, float[]? targets) => First.Select((t, i) => new ContrastivePair(
        package.Tokenizer.Encode(t, null, 32, TruncationStrategy.LongestFirst), package.Tokenizer.Encode(Second[i], null, 32, TruncationStrategy.LongestFirst),
        targets?[i] ?? float.NaN)).ToList();

    static double Cos(float[] u, float[] v)
    {
        double dot = 0, nu = 0, nv = 0;
        for (int k = 0; k < u.Length; k++) { dot += (double)u[k] * v[k]; nu += (double)u[k] * u[k]; nv += (double)v[k] * v[k]; }
        return dot / (Math.Sqrt(nu) * Math.Sqrt(nv));
    }

    /// <summary>The loss in double precision from the pooled embeddings, formulas as in sentence-transformers' docs.</summary>
    static double HandLoss(ContrastiveLoss loss, bool symmetric, float[][] a, float[][] b, float[]? y)
    {
        int n = a.Length;
        switch (loss)
        {
            case ContrastiveLoss.MultipleNegativesRanking:
            {
                var s = new double[n, n];
                for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) s[i, j] = Scale * Cos(a[i], b[j]);
                double forward = 0, backward = 0;
                for (int i = 0; i < n; i++)
                {
                    double row = 0, column = 0;
                    for (int j = 0; j < n; j++) { row += Math.Exp(s[i, j]); column += Math.Exp(s[j, i]); }
                    forward += Math.Log(row) - s[i, i];
                    backward += Math.Log(column) - s[i, i];
                }
                return symmetric ? (forward / n + backward / n) / 2 : forward / n;
            }
            case ContrastiveLoss.CoSent:
            {
                double sum = 1; // the zero term: exp(0)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        if (y![i] > y[j]) sum += Math.Exp(Scale * (Cos(a[j], b[j]) - Cos(a[i], b[i])));
                return Math.Log(sum);
            }
            case ContrastiveLoss.CosineSimilarity:
                return Enumerable.Range(0, n).Average(i => Math.Pow(Cos(a[i], b[i]) - y![i], 2));
            default:
                return Enumerable.Range(0, n).Average(i =>
                {
                    double d = 1 - Cos(a[i], b[i]);
                    return 0.5 * (y![i] * d * d + (1 - y[i]) * Math.Pow(Math.Max(0, Margin - d), 2));
                });
        }
    }

    /// <summary>The same formulas again as element-by-element torch arithmetic (for autograd through the encoder).</summary>
    static Tensor HandLossTensor(ContrastiveLoss loss, bool symmetric, Tensor a, Tensor b, float[]? y)
    {
        int n = (int)a.size(0);
        Tensor C(int i, int j) => (a[i] * b[j]).sum() / (a[i].norm() * b[j].norm());
        Tensor total = zeros(1).sum();
        switch (loss)
        {
            case ContrastiveLoss.MultipleNegativesRanking:
                for (int i = 0; i < n; i++)
                {
                    Tensor row = zeros(1).sum(), column = zeros(1).sum();
                    for (int j = 0; j < n; j++) { row = row + (C(i, j) * Scale).exp(); column = column + (C(j, i) * Scale).exp(); }
                    total = total + (row.log() - C(i, i) * Scale) * (symmetric ? 0.5 / n : 1.0 / n);
                    if (symmetric) total = total + (column.log() - C(i, i) * Scale) * (0.5 / n);
                }
                return total;
            case ContrastiveLoss.CoSent:
                total = ones(1).sum();
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        if (y![i] > y[j]) total = total + ((C(j, j) - C(i, i)) * Scale).exp();
                return total.log();
            case ContrastiveLoss.CosineSimilarity:
                for (int i = 0; i < n; i++) total = total + (C(i, i) - y![i]).square() / n;
                return total;
            default:
                for (int i = 0; i < n; i++)
                {
                    var d = 1 - C(i, i);
                    total = total + (y![i] * d.square() + (1 - y[i]) * (Margin - d).relu().square()) * (0.5 / n);
                }
                return total;
        }
    }

    [TestMethod]
    [DataRow(ContrastiveLoss.MultipleNegativesRanking, false)]
    [DataRow(ContrastiveLoss.MultipleNegativesRanking, true)]
    [DataRow(ContrastiveLoss.CoSent, false)]
    [DataRow(ContrastiveLoss.CosineSimilarity, false)]
    [DataRow(ContrastiveLoss.Contrastive, false)]
    public void OneTrainingStepMatchesTheHandComputation(ContrastiveLoss loss, bool symmetric)
    {
        var package = Package;
        var targets = TargetsFor(loss);
        var objective = new ContrastiveObjective(loss, Scale, symmetric, Margin);
        using var network = ContrastiveNetwork.Build(package, new PeftOptions(), EmbeddingPooling.Mean, objective);
        var pairs = Pairs(package, targets);
        var source = new ContrastiveBatchSource(pairs, package.Tokenizer.PadTokenId, objective.NeedsTargets,
            loss == ContrastiveLoss.MultipleNegativesRanking ? (First, Second) : null);
        var weight = network.named_parameters().Single(p => p.name == Watched).parameter;

        Tensor gradient, before;
        double lossValue, handValue;
        using (var scope = NewDisposeScope())
        {
            var batch = source.CreateBatch([0, 1, 2, 3]);
            var a = network.Embed(batch.First);
            var b = network.Embed(batch.Second);
            float[][] Rows(Tensor t) => Enumerable.Range(0, 4).Select(i => t[i].detach().data<float>().ToArray()).ToArray();
            handValue = HandLoss(loss, symmetric, Rows(a), Rows(b), targets);
            lossValue = network.Loss(a, b, batch.Targets).item<float>();
            network.zero_grad();
            HandLossTensor(loss, symmetric, a, b, targets).backward();
            gradient = weight.grad!.clone().DetachFromDisposeScope();
            before = weight.detach().clone().DetachFromDisposeScope();
            network.zero_grad();
        }
        Assert.AreEqual(handValue, lossValue, 1e-5 * Math.Max(1, Math.Abs(handValue)), $"{loss} value");
        Assert.IsTrue(handValue > 1e-4, $"the hand loss {handValue} is not trivially zero");

        var options = new TrainingOptions
        {
            LearningRate = LearningRate, MaxSteps = 1, BatchSize = 4, Shuffle = false, WeightDecay = 0, MaxGradNorm = 0,
            Schedule = LearningRateScheduleKind.Constant, TrimNativeMemoryEverySteps = 0,
        };
        var history = new Trainer<ContrastiveBatch>(options).Train(network, source);
        Assert.AreEqual(lossValue, history.Steps[0].Loss, 1e-6, "the trainer's step saw the same loss");

        using var _ = no_grad();
        var change = (weight.detach() - before).data<float>().ToArray();
        var g = gradient.data<float>().ToArray();
        Assert.IsTrue(g.Count(x => Math.Abs(x) > 1e-6) > g.Length / 2, "most of the watched weight has a gradient");
        for (int k = 0; k < g.Length; k++)
        {
            // AdamW's first step. A gradient near eps (1e-8) makes the step sensitive to float rounding of the gradient: only bounded there.
            double expected = -LearningRate * g[k] / (Math.Abs(g[k]) + 1e-8);
            if (Math.Abs(g[k]) > 1e-6) Assert.AreEqual(expected, change[k], LearningRate * 1e-3, $"{loss}: weight element {k} (gradient {g[k]:E3})");
            else Assert.IsTrue(Math.Abs(change[k]) <= LearningRate * 1.001, $"{loss}: weight element {k} moved {change[k]}");
        }
        gradient.Dispose(); before.Dispose();
    }

    [TestMethod]
    public void SymmetricRankingAveragesBothDirections()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 0, 0, 1, 1, 1 }, [3, 2]);
        var b = tensor(new float[] { 1, 0.2f, -1, 1, 0.5f, 1 }, [3, 2]);
        double forward = ContrastiveLosses.MultipleNegativesRanking(a, b, Scale, false).item<float>();
        double reverse = ContrastiveLosses.MultipleNegativesRanking(b, a, Scale, false).item<float>();
        double symmetric = ContrastiveLosses.MultipleNegativesRanking(a, b, Scale, true).item<float>();
        Assert.AreNotEqual(forward, reverse, 1e-3, "the two directions differ on this batch");
        Assert.AreEqual((forward + reverse) / 2, symmetric, 1e-5);
    }

    [TestMethod]
    public void CoSentIgnoresPairsWithEqualScores()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 0, 0, 1, 1, 1, 1, -1 }, [4, 2], requires_grad: true);
        var b = tensor(new float[] { 1, 0.2f, -1, 1, 0.5f, 1, 0, 1 }, [4, 2]);
        // Every score equal: no ordered pair, only the zero term: log(1) = 0, and no gradient.
        var flat = ContrastiveLosses.CoSent(a, b, tensor(new float[] { 0.5f, 0.5f, 0.5f, 0.5f }), Scale);
        Assert.AreEqual(0f, flat.item<float>());
        flat.backward();
        Assert.AreEqual(0f, a.grad!.abs().max().item<float>());
        // Two ties: only the four (high, low) pairs count.
        var tied = ContrastiveLosses.CoSent(a, b, tensor(new float[] { 1, 1, 0, 0 }), Scale).item<float>();
        var cos = Enumerable.Range(0, 4).Select(i => Cos(a[i].detach().data<float>().ToArray(), b[i].data<float>().ToArray())).ToArray();
        double sum = 1;
        foreach (var high in new[] { 0, 1 }) foreach (var low in new[] { 2, 3 }) sum += Math.Exp(Scale * (cos[low] - cos[high]));
        Assert.AreEqual(Math.Log(sum), tied, 1e-5);
    }
}
