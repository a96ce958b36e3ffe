namespace MLNet.FineTune.Tokenization;

abstract partial class TransformerTokenizer
{
    /// <summary>
    /// Reads the tokenizer of a Hugging Face checkpoint folder, choosing by the files present (first match wins):
    /// <c>vocab.txt</c> → WordPiece; <c>vocab.json</c> + <c>merges.txt</c> → byte-level BPE; <c>tokenizer.json</c> with a
    /// BPE model → that BPE (GPT-2 style byte-level, or the Llama family's SentencePiece-style / Split + ByteLevel
    /// pipelines, id for id with HF's fast tokenizer); <c>*.model</c> → SentencePiece (Microsoft.ML.Tokenizers);
    /// <c>tokenizer.json</c> with a WordPiece model → WordPiece. The slow-tokenizer vocabulary files win over
    /// tokenizer.json because the references for those are HF slow tokenizers.
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
        return FromFiles(TokenizerFiles.Folder(folder));
    }

    /// <summary>The same as <see cref="FromFolder"/> over files held in memory (a model zip's tokenizer entries): nothing touches the disk.</summary>
    internal static TransformerTokenizer FromFiles(IReadOnlyDictionary<string, byte[]> files, string where) => FromFiles(TokenizerFiles.InMemory(files, where));

    internal static TransformerTokenizer FromFiles(TokenizerFiles files)
    {
        var folder = files.Where;
        var config = TokenizerFolderConfig.Read(files);
        const string vocabTxt = "vocab.txt", vocabJson = "vocab.json", merges = "merges.txt", tokenizerJson = "tokenizer.json";

        if (files.Exists(vocabTxt))
            return TokenizerFactory.WordPiece(config, WordPieceVocabulary.ReadVocabTxt(files.ReadAllText(vocabTxt), files.PathOf(vocabTxt)), [files.PathOf(vocabTxt)], folder);
        if (files.Exists(vocabJson) && files.Exists(merges))
            return TokenizerFactory.ByteLevelBpe(config, ByteLevelBpe.ReadVocabJson(files.ReadAllText(vocabJson), files.PathOf(vocabJson)),
                ByteLevelBpe.ReadMerges(files.ReadAllText(merges), files.PathOf(merges)), [files.PathOf(vocabJson), files.PathOf(merges)], folder);
        var model = FindSentencePieceModel(files);
        // A Llama-family checkpoint ships tokenizer.model and tokenizer.json; the BPE tokenizer.json is what HF loads (fast).
        if (files.Exists(tokenizerJson) && (model is null || TokenizerJsonReader.IsBpe(files.ReadAllText(tokenizerJson), files.PathOf(tokenizerJson))))
            return TokenizerJsonReader.Read(config, files.ReadAllText(tokenizerJson), files.PathOf(tokenizerJson), folder);
        if (model is not null)
            return TokenizerFactory.SentencePiece(config, files.ReadAllBytes(model), files.PathOf(model), folder);

        var hint = files.Exists(vocabJson) ? " (vocab.json is there but merges.txt is missing)" : files.Exists(merges) ? " (merges.txt is there but vocab.json is missing)" : "";
        throw new FileNotFoundException(
            $"No tokenizer files in '{folder}'{hint}. Looked for: vocab.txt (WordPiece), vocab.json + merges.txt (byte-level BPE), " +
            "*.model (SentencePiece), tokenizer.json.");
    }

    static string? FindSentencePieceModel(TokenizerFiles files)
    {
        string[] preferred = ["tokenizer.model", "spiece.model", "sentencepiece.bpe.model"];
        foreach (var name in preferred)
            if (files.Exists(name)) return name;
        return files.Names.FirstOrDefault(n => n.EndsWith(".model", StringComparison.Ordinal));
    }
}
