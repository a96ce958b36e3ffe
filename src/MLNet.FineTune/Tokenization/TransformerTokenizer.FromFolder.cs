namespace MLNet.FineTune.Tokenization;

public abstract partial class TransformerTokenizer
{
    /// <summary>
    /// Reads the tokenizer of a Hugging Face checkpoint folder, choosing by the files present (first match wins):
    /// <c>vocab.txt</c> → WordPiece; <c>vocab.json</c> + <c>merges.txt</c> → byte-level BPE; <c>*.model</c> →
    /// SentencePiece (Microsoft.ML.Tokenizers); <c>tokenizer.json</c> (WordPiece or byte-level BPE models) → same
    /// algorithms. The slow-tokenizer files win over tokenizer.json because the references are HF slow tokenizers.
    /// Special tokens come from tokenizer_config.json / special_tokens_map.json, the model type from config.json
    /// <c>model_type</c> or else tokenizer_config <c>tokenizer_class</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">No tokenizer files; the message lists what was looked for.</exception>
    /// <exception cref="FormatException">A file is malformed; the message names the file (and line).</exception>
    public static TransformerTokenizer FromFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Tokenizer folder '{folder}' does not exist.");
        var config = TokenizerFolderConfig.Read(folder);
        string vocabTxt = Path.Combine(folder, "vocab.txt"), vocabJson = Path.Combine(folder, "vocab.json"),
            merges = Path.Combine(folder, "merges.txt"), tokenizerJson = Path.Combine(folder, "tokenizer.json");

        if (File.Exists(vocabTxt))
            return TokenizerFactory.WordPiece(config, WordPieceVocabulary.ReadVocabTxt(vocabTxt), [vocabTxt], folder);
        if (File.Exists(vocabJson) && File.Exists(merges))
            return TokenizerFactory.ByteLevelBpe(config, ByteLevelBpe.ReadVocabJson(vocabJson), ByteLevelBpe.ReadMerges(merges), [vocabJson, merges], folder);
        if (FindSentencePieceModel(folder) is { } model)
            return TokenizerFactory.SentencePiece(config, model, folder);
        if (File.Exists(tokenizerJson))
            return TokenizerJsonReader.Read(config, tokenizerJson, folder);

        var hint = File.Exists(vocabJson) ? " (vocab.json is there but merges.txt is missing)" : File.Exists(merges) ? " (merges.txt is there but vocab.json is missing)" : "";
        throw new FileNotFoundException(
            $"No tokenizer files in '{folder}'{hint}. Looked for: vocab.txt (WordPiece), vocab.json + merges.txt (byte-level BPE), " +
            "*.model (SentencePiece), tokenizer.json.");
    }

    static string? FindSentencePieceModel(string folder)
    {
        string[] preferred = ["tokenizer.model", "spiece.model", "sentencepiece.bpe.model"];
        foreach (var name in preferred)
            if (File.Exists(Path.Combine(folder, name))) return Path.Combine(folder, name);
        return Directory.GetFiles(folder, "*.model").OrderBy(f => f, StringComparer.Ordinal).FirstOrDefault();
    }
}
