using MLNet.FineTune.Data;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Modeling;

[TestClass]
public class BuiltInModelTests
{
    [TestMethod]
    public void LearntVocabularyCoversTrainingTextsWithoutUnknownTokens()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mlnft-builtin-" + Guid.NewGuid().ToString("N"));
        try
        {
            var texts = SyntheticSentiment.Generate(50).Select(r => r.Text).ToList();
            var config = BuiltInModel.WriteFolder(folder, new BuiltInModelOptions { VocabularySize = 300 }, texts);
            var tokenizer = TransformerTokenizer.FromFolder(folder);
            Assert.AreEqual(config.VocabSize, tokenizer.VocabSize);
            var encoded = tokenizer.Encode(texts[0]);
            Console.WriteLine(string.Join(" ", encoded.Tokens));
            int unk = tokenizer.TokenToId("[UNK]")!.Value;
            Assert.IsFalse(texts.Any(t => tokenizer.Encode(t).InputIds.Contains(unk)), "no [UNK] for characters seen in training");
            Assert.AreEqual("[CLS]", encoded.Tokens[0]);
            Assert.IsTrue(encoded.Tokens.Skip(1).Take(3).All(t => !t.StartsWith("[")), string.Join(" ", encoded.Tokens));
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }
}
