using System.Text;
using System.Text.Json.Nodes;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// Writes a Hugging Face-style folder (config.json, vocab.txt, tokenizer_config.json) for the built-in model, so that it
/// is loaded, tokenized and saved by exactly the same code as a user's checkpoint. The WordPiece vocabulary holds the
/// BERT specials, every character seen (as word start and as ##continuation, so nothing is [UNK]), then the most
/// frequent words and punctuation of the training texts as the model's own tokenizer splits them.
/// </summary>
internal static class BuiltInModel
{
    /// <summary>The built-in tokenizer's pre-tokenization (tokenizer_config: do_lower_case, accents stripped with it, CJK split).</summary>
    static readonly BertBasicTokenizer Basic = new(lowerCase: true, stripAccents: null, tokenizeChineseChars: true);

    /// <summary>
    /// The config for <paramref name="o"/>, validated: with no weights to compare with, the sizes are bounded by
    /// <see cref="TransformerConfig.Validate"/>'s absolute limits before anything is allocated.
    /// </summary>
    public static TransformerConfig Config(BuiltInModelOptions o, int vocabSize)
    {
        var config = new TransformerConfig
        {
            ModelType = "bert", VocabSize = vocabSize, HiddenSize = o.HiddenSize, NumLayers = o.Layers, NumHeads = o.AttentionHeads,
            IntermediateSize = o.IntermediateSize, MaxPositionEmbeddings = o.MaxPositions, TypeVocabSize = 2, HiddenDropout = o.Dropout,
            AttentionDropout = o.Dropout, PadTokenId = 0, Architectures = new[] { "BertModel" },
        };
        config.Validate($"BuiltInModelOptions (HiddenSize {o.HiddenSize}, Layers {o.Layers}, AttentionHeads {o.AttentionHeads}, IntermediateSize {o.IntermediateSize}, MaxPositions {o.MaxPositions})");
        return config;
    }

    /// <summary>
    /// The model's files as a Hugging Face folder would hold them (config.json, vocab.txt, tokenizer_config.json), in
    /// memory: the package reads them like any checkpoint's files and saves them in the model zip.
    /// </summary>
    public static (TransformerConfig Config, Dictionary<string, byte[]> Files) CreateFiles(BuiltInModelOptions options, IEnumerable<string> texts)
    {
        var vocab = BuildVocabulary(texts, options.VocabularySize);
        var config = Config(options, vocab.Count);
        var json = config.ToJson();
        json["architectures"] = new JsonArray("BertModel");
        json["mlnet_finetune_builtin"] = true;
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        var files = new Dictionary<string, byte[]>
        {
            ["vocab.txt"] = Encoding.UTF8.GetBytes(string.Concat(vocab.Select(v => v + "\n"))),
            ["config.json"] = Encoding.UTF8.GetBytes(json.ToJsonString(indented)),
            ["tokenizer_config.json"] = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["tokenizer_class"] = "BertTokenizer", ["do_lower_case"] = true, ["model_max_length"] = options.MaxPositions,
                ["cls_token"] = "[CLS]", ["sep_token"] = "[SEP]", ["pad_token"] = "[PAD]", ["unk_token"] = "[UNK]", ["mask_token"] = "[MASK]",
            }.ToJsonString(indented)),
        };
        return (config, files);
    }

    /// <summary>Writes <see cref="CreateFiles"/> into a folder (to inspect or reuse the generated tokenizer) and returns the config.</summary>
    public static TransformerConfig WriteFolder(string folder, BuiltInModelOptions options, IEnumerable<string> texts)
    {
        Directory.CreateDirectory(folder);
        var (config, files) = CreateFiles(options, texts);
        foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(folder, name), bytes);
        return config;
    }

    /// <summary>
    /// Words are split and normalized by the same BERT basic tokenizer the model will use (lower case, accents
    /// stripped, punctuation and CJK ideographs apart, code points rather than UTF-16 units), so every vocabulary entry
    /// is a whole character or word the tokenizer can produce, whatever the text holds (emoji, lone surrogates, controls).
    /// </summary>
    public static List<string> BuildVocabulary(IEnumerable<string> texts, int maxSize)
    {
        var specials = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var chars = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            var valid = UnicodeText.ReplaceLoneSurrogates(text ?? "");
            foreach (var word in Basic.Split(valid, 0, valid.Length))
            {
                var w = word.Text;
                wordCounts[w] = wordCounts.GetValueOrDefault(w) + 1;
                foreach (var rune in w.EnumerateRunes()) chars.Add(rune.ToString());
            }
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
