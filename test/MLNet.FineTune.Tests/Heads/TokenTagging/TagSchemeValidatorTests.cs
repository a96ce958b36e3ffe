using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Tests.Heads.TokenTagging;

[TestClass]
public class TagSchemeValidatorTests
{
    [TestMethod]
    public void ReportsOrphanInsideTagInIob2WithSentenceAndPosition()
    {
        string[][] sentences = [["B-PER", "I-PER"], ["O", "I-PER", "I-PER", "B-LOC", "I-ORG"]];
        var violations = TagSchemeValidator.Validate(sentences, TagScheme.Iob2);
        Assert.HasCount(2, violations);
        Assert.AreEqual(new TagViolation(1, 1, "I-PER", "I-PER follows O; in IOB2 an I-PER must follow B-PER or I-PER"), violations[0]);
        Assert.AreEqual(1, violations[1].SentenceIndex);
        Assert.AreEqual(4, violations[1].Position);
        Assert.AreEqual("sentence 1, position 4: I-ORG follows B-LOC; in IOB2 an I-ORG must follow B-ORG or I-ORG", violations[1].ToString());
    }

    [TestMethod]
    public void ValidSequencesHaveNoViolations()
    {
        Assert.IsEmpty(TagSchemeValidator.Validate(["B-PER", "I-PER", "O", "B-LOC"], TagScheme.Iob2));
        Assert.IsEmpty(TagSchemeValidator.Validate(["I-PER", "I-PER", "B-PER", "O", "I-LOC"], TagScheme.Iob1));
        Assert.IsEmpty(TagSchemeValidator.Validate(["B-PER", "I-PER", "E-PER", "S-LOC", "O"], TagScheme.Bioes));
    }

    [TestMethod]
    public void Iob1RejectsBAfterOutside()
    {
        var v = TagSchemeValidator.Validate(["O", "B-PER"], TagScheme.Iob1);
        Assert.HasCount(1, v);
        Assert.AreEqual(1, v[0].Position);
    }

    [TestMethod]
    public void BioesRejectsUnclosedChunksAndForeignPrefixes()
    {
        var v = TagSchemeValidator.Validate(["B-PER", "O", "B-LOC"], TagScheme.Bioes);
        CollectionAssert.AreEqual(new[] { 1, 2 }, v.Select(x => x.Position).ToArray());
        StringAssert.Contains(v[1].Message, "ends the sentence");
        var malformed = TagSchemeValidator.Validate(["S-PER"], TagScheme.Iob2);
        StringAssert.Contains(malformed[0].Message, "malformed tag 'S-PER'");
    }

    [TestMethod]
    public void RepairTurnsOrphanInsideIntoBegin()
    {
        CollectionAssert.AreEqual(new[] { "O", "B-PER", "I-PER", "B-LOC", "B-ORG" },
            TagSchemeValidator.Repair(["O", "I-PER", "I-PER", "B-LOC", "I-ORG"], TagScheme.Iob2));
    }

    [TestMethod]
    public void EnforceRepairsOrThrowsPerOption()
    {
        string[] valid = ["B-PER", "I-PER"];
        string[][] sentences = [valid, ["I-LOC"]];
        var repaired = TagSchemeValidator.Enforce(sentences, TagScheme.Iob2, InvalidTagHandling.Repair);
        Assert.AreSame(valid, repaired[0]);
        CollectionAssert.AreEqual(new[] { "B-LOC" }, repaired[1]);
        var e = Assert.ThrowsExactly<FormatException>(() => TagSchemeValidator.Enforce(sentences, TagScheme.Iob2, InvalidTagHandling.Throw));
        StringAssert.Contains(e.Message, "sentence 1, position 0: I-LOC follows O");
        Assert.ThrowsExactly<FormatException>(() => TagSchemeValidator.Enforce([["PER"]], TagScheme.Iob2, InvalidTagHandling.Repair));
    }
}
