using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Training;

[TestClass]
public class LossesTests
{
    static readonly float[,] Logits = { { 1.0f, -0.5f, 2.0f }, { 0.3f, 0.2f, -1.0f }, { -2.0f, 0.5f, 0.1f }, { 0.0f, 1.5f, -0.7f } };

    /// <summary>PyTorch's formula, by hand: ((1-e) * sum w_y * nll + e/C * sum_c w_c * nll_c) / sum w_y over kept rows.</summary>
    static double Expected(long[] labels, double[] weights, double smoothing)
    {
        double numerator = 0, denominator = 0;
        int classes = Logits.GetLength(1);
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == -100) continue;
            double max = Enumerable.Range(0, classes).Max(c => (double)Logits[i, c]);
            double logSum = max + Math.Log(Enumerable.Range(0, classes).Sum(c => Math.Exp(Logits[i, c] - max)));
            double Nll(int c) => logSum - Logits[i, c];
            numerator += (1 - smoothing) * weights[labels[i]] * Nll((int)labels[i])
                + smoothing / classes * Enumerable.Range(0, classes).Sum(c => weights[c] * Nll(c));
            denominator += weights[labels[i]];
        }
        return numerator / denominator;
    }

    [TestMethod]
    [DataRow(0.0, false)]
    [DataRow(0.1, false)]
    [DataRow(0.0, true)]
    [DataRow(0.2, true)]
    public void CrossEntropyMatchesPyTorchFormulaWithIgnoreIndex(double smoothing, bool weighted)
    {
        long[] labels = [2, -100, 1, 0];
        double[] weights = weighted ? [0.5, 2.0, 1.5] : [1, 1, 1];
        using var logits = tensor(Logits);
        using var target = tensor(labels);
        using var w = weighted ? tensor(weights.Select(x => (float)x).ToArray()) : null;
        using var loss = Losses.CrossEntropy(logits, target, w, smoothing);
        Assert.AreEqual(Expected(labels, weights, smoothing), loss.item<float>(), 1e-6);
    }

    [TestMethod]
    public void CrossEntropyFlattensTokenLogits()
    {
        using var logits = tensor(Logits).reshape(2, 2, 3);
        using var labels = tensor(new long[] { 2, -100, 1, 0 }).reshape(2, 2);
        using var loss = Losses.CrossEntropy(logits, labels);
        Assert.AreEqual(Expected([2, -100, 1, 0], [1, 1, 1], 0), loss.item<float>(), 1e-6);
    }

    [TestMethod]
    public void CrossEntropyRejectsMismatchedShapes()
    {
        using var logits = zeros(4, 3);
        using var labels = zeros(4, 3, dtype: ScalarType.Int64);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Losses.CrossEntropy(logits, labels));
        StringAssert.Contains(e.Message, "logits [4, 3] and labels [4, 3]");
    }

    [TestMethod]
    public void MeanSquaredErrorAcceptsColumnPredictions()
    {
        using var predictions = tensor(new float[] { 1, 2, 4 }).reshape(3, 1);
        using var targets = tensor(new float[] { 0, 2, 1 });
        using var loss = Losses.MeanSquaredError(predictions, targets);
        Assert.AreEqual((1 + 0 + 9) / 3.0, loss.item<float>(), 1e-6);
    }
}
