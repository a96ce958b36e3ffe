using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MLNet.FineTune.Modeling;

namespace MLNet.FineTune.Engine;

/// <summary>
/// Writes a Hugging Face-style folder (config.json, vocab.txt, tokenizer_config.json) for the built-in model, so that it
/// is loaded, tokenized and saved by exactly the same code as a user's checkpoint. The WordPiece vocabulary holds the
/// BERT specials, every character seen (as word start and as ##continuation, so nothing is [UNK]), then the most
/// frequent lower-cased words and punctuation of the training texts.
/// </summary>
public static class BuiltInModel
{
    static readonly Regex Words = new(@"\w+|[^\w\s]", RegexOptions.Compiled);

    public static TransformerConfig Config(BuiltInModelOptions o, int vocabSize) => new()
    {
        ModelType = "bert", VocabSize = vocabSize, HiddenSize = o.HiddenSize, NumLayers = o.Layers, NumHeads = o.AttentionHeads,
        IntermediateSize = o.IntermediateSize, MaxPositionEmbeddings = o.MaxPositions, TypeVocabSize = 2, HiddenDropout = o.Dropout,
        AttentionDropout = o.Dropout, PadTokenId = 0, Architectures = new[] { "BertModel" },
    };

    /// <summary>Creates the folder and returns the model config written into it.</summary>
    public static TransformerConfig WriteFolder(string folder, BuiltInModelOptions options, IEnumerable<string> texts)
    {
        Directory.CreateDirectory(folder);
        var vocab = BuildVocabulary(texts, options.VocabularySize);
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), vocab);
        var config = Config(options, vocab.Count);
        var json = config.ToJson();
        json["architectures"] = new JsonArray("BertModel");
        json["mlnet_finetune_builtin"] = true;
        File.WriteAllText(Path.Combine(folder, "config.json"), json.ToJsonString(new() { WriteIndented = true }));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer", ["do_lower_case"] = true, ["model_max_length"] = options.MaxPositions,
            ["cls_token"] = "[CLS]", ["sep_token"] = "[SEP]", ["pad_token"] = "[PAD]", ["unk_token"] = "[UNK]", ["mask_token"] = "[MASK]",
        }.ToJsonString(new() { WriteIndented = true }));
        return config;
    }

    public static List<string> BuildVocabulary(IEnumerable<string> texts, int maxSize)
    {
        var specials = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
        var wordCounts = new Dictionary<string, int>();
        var chars = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (Match m in Words.Matches(text.ToLowerInvariant()))
            {
                var w = m.Value;
                wordCounts[w] = wordCounts.GetValueOrDefault(w) + 1;
                foreach (var rune in w.EnumerateRunes()) chars.Add(rune.ToString());
            }
        var vocab = new List<string>(specials);
        vocab.AddRange(chars);
        vocab.AddRange(chars.Select(c => "##" + c));
        var seen = new HashSet<string>(vocab, StringComparer.Ordinal);
        foreach (var (word, _) in wordCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (vocab.Count >= maxSize) break;
            if (seen.Add(word)) vocab.Add(word);
        }
        return vocab;
    }
}
