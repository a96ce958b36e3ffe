using MLNet.FineTune.Evaluation;
using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Tests.Evaluation;

/// <summary>Cases from seqeval's tests/test_scheme.py (test_iob1_tokens, test_iob2_tokens, test_iobes_tokens).</summary>
[TestClass]
public class StrictEntityExtractorTests
{
    static string Entities(string tags, TagScheme scheme) => string.Join(" ",
        StrictEntityExtractor.Entities(tags.Length == 0 ? [] : tags.Split(' '), scheme, 0).Select(e => $"{e.Type}[{e.Start},{e.End})"));

    [TestMethod]
    [DataRow("B-PER", "PER[0,1)")]
    [DataRow("I-PER", "")]
    [DataRow("O I-PER", "")]
    [DataRow("I-PER I-PER", "")]
    [DataRow("I-PER B-ORG", "ORG[1,2)")]
    [DataRow("B-PER I-PER", "PER[0,2)")]
    [DataRow("B-PER I-ORG", "PER[0,1)")]
    [DataRow("B-PER B-PER", "PER[0,1) PER[1,2)")]
    [DataRow("B I", "_[0,2)")]
    public void Iob2(string tags, string expected) => Assert.AreEqual(expected, Entities(tags, TagScheme.Iob2));

    [TestMethod]
    [DataRow("B-PER", "")]
    [DataRow("I-PER", "PER[0,1)")]
    [DataRow("I-PER I-ORG", "PER[0,1) ORG[1,2)")]
    [DataRow("I-PER B-PER", "PER[0,1) PER[1,2)")]
    [DataRow("I-PER B-ORG", "PER[0,1)")]
    [DataRow("B-PER I-PER", "PER[1,2)")]
    [DataRow("B-PER B-PER", "PER[1,2)")]
    [DataRow("B-PER B-ORG", "")]
    public void Iob1(string tags, string expected) => Assert.AreEqual(expected, Entities(tags, TagScheme.Iob1));

    [TestMethod]
    [DataRow("S-PER", "PER[0,1)")]
    [DataRow("B-PER", "")]
    [DataRow("B-PER I-PER", "")]
    [DataRow("B-PER E-PER", "PER[0,2)")]
    [DataRow("B-PER E-ORG", "")]
    [DataRow("B-PER S-PER", "PER[1,2)")]
    [DataRow("S-PER I-PER", "PER[0,1)")]
    [DataRow("S-PER S-PER", "PER[0,1) PER[1,2)")]
    [DataRow("B-PER I-PER I-PER E-PER O", "PER[0,4)")]
    public void Bioes(string tags, string expected) => Assert.AreEqual(expected, Entities(tags, TagScheme.Bioes));
}
