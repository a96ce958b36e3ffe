using System.Text.Json;
using MLNet.FineTune.Tokenization;
using static MLNet.FineTune.Tests.Tokenization.HfTokenizerReferenceTests;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>
/// Model inputs (input_ids, attention_mask, token_type_ids, tokens) equal to what Hugging Face fed the reference models
/// in shared/fixtures/hf-reference/outputs, max_length 64, incl. pairs, truncation and a padded batch.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public class HfModelInputReferenceTests
{
    [TestMethod]
    [DataRow("bert-wordpiece", "bert")]
    [DataRow("roberta-bpe", "roberta")]
    [DataRow("distilbert-wp", "distilbert")]
    [DataRow("gpt2-bpe", "gpt2")]
    public void EncodedInputsMatchReference(string name, string modelType)
    {
        var tokenizer = TransformerTokenizer.FromFolder(SharedFixtures.HfReference($"models/{name}"));
        Assert.AreEqual(modelType, tokenizer.ModelType);
        Assert.AreEqual(64, tokenizer.MaxLength);
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedFixtures.HfReference($"outputs/{name}.json")));
        int maxLength = doc.RootElement.GetProperty("max_length").GetInt32();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string label = $"{name} {c.GetProperty("id").GetString()} ({c.GetProperty("name").GetString()})";
            var actual = Encode(tokenizer, c, maxLength);
            var expectedIds = c.GetProperty("input_ids").EnumerateArray().ToList();
            Assert.HasCount(expectedIds.Count, actual, label);
            for (int row = 0; row < actual.Length; row++)
            {
                CollectionAssert.AreEqual(Ints(expectedIds[row]), actual[row].InputIds, $"{label} input_ids row {row}");
                CollectionAssert.AreEqual(Ints(c.GetProperty("attention_mask")[row]), actual[row].AttentionMask, $"{label} attention_mask row {row}");
                if (c.TryGetProperty("token_type_ids", out var types))
                    CollectionAssert.AreEqual(Ints(types[row]), actual[row].TokenTypeIds, $"{label} token_type_ids row {row}");
                if (c.TryGetProperty("tokens", out var tokens))
                    CollectionAssert.AreEqual(Strings(tokens[row]), actual[row].Tokens, $"{label} tokens row {row}");
            }
        }
    }

    static EncodedInput[] Encode(TransformerTokenizer tokenizer, JsonElement c, int maxLength)
    {
        string kind = c.GetProperty("kind").GetString()!;
        if (kind == "batch")
            return tokenizer.EncodeBatch(Strings(c.GetProperty("text")), maxLength: maxLength);
        var truncation = c.GetProperty("truncation") switch
        {
            { ValueKind: JsonValueKind.True } => TruncationStrategy.LongestFirst,
            var t when t.GetString() == "longest_first" => TruncationStrategy.LongestFirst,
            var t when t.GetString() == "only_first" => TruncationStrategy.OnlyFirst,
            var t when t.GetString() == "only_second" => TruncationStrategy.OnlySecond,
            var t => throw new AssertFailedException($"Unexpected truncation {t}"),
        };
        string? pair = c.TryGetProperty("text_pair", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        return [tokenizer.Encode(c.GetProperty("text").GetString()!, pair, maxLength, truncation)];
    }
}
