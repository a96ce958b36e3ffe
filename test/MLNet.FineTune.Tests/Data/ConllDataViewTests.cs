using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Tests.Data;

[TestClass]
public class ConllDataViewTests
{
    static readonly ConllSentence[] Sentences =
    [
        new(["Peter", "Blackburn"], ["B-PER", "I-PER"], [1, 2]),
        new(["BRUSSELS", "1996-08-22", "."], ["B-LOC", "O", "O"], [4, 5, 6]),
    ];

    [TestMethod]
    public void TextAndTagsColumnsJoinWithSingleSpaces()
    {
        var view = Sentences.ToDataView(new MLContext(seed: 1), ConllColumns.TextAndTags);
        CollectionAssert.AreEqual(new[] { "Text", "Tags" }, view.Schema.Select(c => c.Name).ToArray());
        Assert.AreEqual(TextDataViewType.Instance, view.Schema["Text"].Type);
        var text = view.GetColumn<string>("Text").ToArray();
        var tags = view.GetColumn<string>("Tags").ToArray();
        CollectionAssert.AreEqual(new[] { "Peter Blackburn", "BRUSSELS 1996-08-22 ." }, text);
        CollectionAssert.AreEqual(new[] { "B-PER I-PER", "B-LOC O O" }, tags);
    }

    [TestMethod]
    public void VectorColumnsKeepWordsAndLabels()
    {
        var view = Sentences.ToDataView(new MLContext(seed: 1), ConllColumns.WordsAndLabels);
        CollectionAssert.AreEqual(new[] { "Words", "Labels" }, view.Schema.Select(c => c.Name).ToArray());
        var type = (VectorDataViewType)view.Schema["Labels"].Type;
        Assert.AreEqual(TextDataViewType.Instance, type.ItemType);
        Assert.IsFalse(type.IsKnownSize);
        var labels = view.GetColumn<string[]>("Labels").ToArray();
        CollectionAssert.AreEqual(new[] { "B-LOC", "O", "O" }, labels[1]);
        CollectionAssert.AreEqual(new[] { "Peter", "Blackburn" }, view.GetColumn<string[]>("Words").First());
    }

    [TestMethod]
    public void AllColumnsByDefaultAndNoneIsRejected()
    {
        var view = Sentences.ToDataView(new MLContext(seed: 1));
        CollectionAssert.AreEqual(new[] { "Text", "Tags", "Words", "Labels" }, view.Schema.Select(c => c.Name).ToArray());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Sentences.ToDataView(new MLContext(), (ConllColumns)0));
    }
}
