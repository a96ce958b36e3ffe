using MLNet.FineTune.Evaluation;
using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Tests.Evaluation;

[TestClass]
public class SeqevalMetricsTests
{
    const double Eps = 1e-12;

    // seqeval's docstring example for precision_recall_fscore_support, accuracy_score and classification_report.
    static readonly string[][] DocTrue = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];
    static readonly string[][] DocPred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];

    [TestMethod]
    public void MatchesSeqevalPrecisionRecallExample()
    {
        var report = SeqevalMetrics.Evaluate(DocTrue, DocPred);
        CollectionAssert.AreEqual(new[] { "MISC", "PER" }, report.PerType.Select(s => s.Type).ToArray());
        CollectionAssert.AreEqual(new[] { 0.0, 1.0 }, report.PerType.Select(s => s.F1).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 1 }, report.PerType.Select(s => s.Support).ToArray());
        Assert.AreEqual(new AverageScore(0.5, 0.5, 0.5, 2), report.Micro);
        Assert.AreEqual(new AverageScore(0.5, 0.5, 0.5, 2), report.Macro);
        Assert.AreEqual(new AverageScore(0.5, 0.5, 0.5, 2), report.Weighted);
        Assert.AreEqual(0.8, report.Accuracy, Eps);
    }

    [TestMethod]
    public void MatchesSeqevalF1Example()
    {
        string[][] yTrue = [["O", "O", "B-MISC", "I-MISC", "B-MISC", "O", "O"], ["B-PER", "I-PER", "O"]];
        string[][] yPred = [["O", "O", "B-MISC", "I-MISC", "B-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];
        var report = SeqevalMetrics.Evaluate(yTrue, yPred);
        Assert.AreEqual(0.6666666666666666, report.Micro.F1, Eps);
        Assert.AreEqual(0.75, report.Macro.F1, Eps);
        Assert.AreEqual(0.6666666666666666, report.Weighted.F1, Eps);
        CollectionAssert.AreEqual(new[] { 0.5, 1.0 }, report.PerType.Select(s => s.F1).ToArray());
        Assert.AreEqual(report.Micro.F1, SeqevalMetrics.F1(yTrue, yPred));
    }

    [TestMethod]
    public void FormatsLikeSeqevalClassificationReport()
    {
        // Produced by seqeval's StringReporter format strings (width 12, digits 2).
        const string expected =
            "              precision    recall  f1-score   support\n\n" +
            "        MISC       0.00      0.00      0.00         1\n" +
            "         PER       1.00      1.00      1.00         1\n\n" +
            "   micro avg       0.50      0.50      0.50         2\n" +
            "   macro avg       0.50      0.50      0.50         2\n" +
            "weighted avg       0.50      0.50      0.50         2\n";
        Assert.AreEqual(expected, SeqevalMetrics.Evaluate(DocTrue, DocPred).Format());
    }

    [TestMethod]
    public void DefaultModeCountsInsideOnlyChunkStrictModeDoesNot()
    {
        string[][] gold = [["B-PER", "I-PER", "O"]];
        string[][] pred = [["I-PER", "I-PER", "O"]];
        // conlleval reads I-PER I-PER as PER[0,2), the same entity as the gold one.
        Assert.AreEqual(1.0, SeqevalMetrics.Evaluate(gold, pred).Micro.F1);
        var strict = SeqevalMetrics.Evaluate(gold, pred, new SeqevalOptions { Mode = SeqevalMode.Strict, Scheme = TagScheme.Iob2 });
        Assert.AreEqual(0, strict.PerType.Single().Predicted);
        Assert.AreEqual(new AverageScore(0, 0, 0, 1), strict.Micro);
    }

    [TestMethod]
    public void StrictModeIgnoresTypeMismatchedContinuation()
    {
        // B-PER I-ORG: default reads PER[0,1) and ORG[1,2); strict IOB2 reads only PER[0,1).
        string[][] gold = [["B-PER", "B-ORG"]];
        string[][] pred = [["B-PER", "I-ORG"]];
        Assert.AreEqual(1.0, SeqevalMetrics.Evaluate(gold, pred).Micro.F1);
        var strict = SeqevalMetrics.Evaluate(gold, pred, new SeqevalOptions { Mode = SeqevalMode.Strict, Scheme = TagScheme.Iob2 });
        Assert.AreEqual(1.0, strict.Micro.Precision);
        Assert.AreEqual(0.5, strict.Micro.Recall);
    }

    [TestMethod]
    public void ZeroDivisionValueAppliesWhenNothingIsPredicted()
    {
        string[][] gold = [["B-PER", "O"]];
        string[][] pred = [["O", "O"]];
        Assert.AreEqual(new AverageScore(0, 0, 0, 1), SeqevalMetrics.Evaluate(gold, pred).Micro);
        var ones = SeqevalMetrics.Evaluate(gold, pred, new SeqevalOptions { ZeroDivision = 1 });
        Assert.AreEqual(new AverageScore(1, 0, 0, 1), ones.Micro);
        var none = SeqevalMetrics.Evaluate([["O"]], [["O"]]);
        Assert.IsEmpty(none.PerType);
        Assert.IsTrue(double.IsNaN(none.Macro.F1));
        Assert.AreEqual(new AverageScore(0, 0, 0, 0), none.Weighted);
    }

    [TestMethod]
    public void EntitiesNeverCrossSentences()
    {
        // Flattened without a separator this would be one PER chunk; seqeval inserts an O between sentences.
        var report = SeqevalMetrics.Evaluate([["B-PER"], ["I-PER"]], [["B-PER"], ["I-PER"]]);
        Assert.AreEqual(2, report.PerType.Single().Support);
    }

    [TestMethod]
    public void RejectsMismatchedShapesAndStrictWithoutScheme()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => SeqevalMetrics.Evaluate([["O", "O"]], [["O"]]));
        StringAssert.Contains(e.Message, "Sentence 0 has 2 true tags but 1 predicted tags");
        Assert.ThrowsExactly<ArgumentException>(() =>
            SeqevalMetrics.Evaluate([["O"]], [["O"]], new SeqevalOptions { Mode = SeqevalMode.Strict }));
        var bad = Assert.ThrowsExactly<ArgumentException>(() => SeqevalMetrics.Evaluate([["S-PER"]], [["O"]],
            new SeqevalOptions { Mode = SeqevalMode.Strict, Scheme = TagScheme.Iob2 }));
        StringAssert.Contains(bad.Message, "invalid tag 'S-PER'");
    }
}
