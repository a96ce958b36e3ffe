using System.Text;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>
/// One folder per tokenizer implementation the library has (WordPiece, byte-level BPE as RoBERTa and as GPT-2,
/// WordPiece and BPE read from tokenizer.json, SentencePiece, added tokens), all generated here so no shared fixture
/// is needed. Each writer fills an empty folder.
/// </summary>
internal static class TokenizerKinds
{
    public static IReadOnlyList<(string Name, Action<string> Write)> All { get; } =
    [
        ("wordpiece", folder => Copy(TinyTokenizerFolders.WordPiece(), folder)),
        ("wordpiece-cased-no-cjk", folder =>
        {
            Copy(TinyTokenizerFolders.WordPiece(), folder);
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
                """{"do_lower_case": false, "tokenize_chinese_chars": false, "strip_accents": true, "tokenizer_class": "BertTokenizer", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]"}""");
        }),
        ("wordpiece-added-tokens", folder =>
        {
            Copy(TinyTokenizerFolders.WordPiece(), folder);
            File.WriteAllText(Path.Combine(folder, "added_tokens.json"), """{"<new>": 19, "😀": 20, "ab": 21}""");
        }),
        ("bpe-roberta", folder => Copy(TinyTokenizerFolders.ByteLevelBpe(), folder)),
        ("bpe-gpt2", folder => Copy(TinyTokenizerFolders.ByteLevelBpe(gpt2: true), folder)),
        ("wordpiece-tokenizer-json", folder =>
        {
            File.WriteAllText(Path.Combine(folder, "tokenizer.json"), WordPieceTokenizerJson);
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
                """{"tokenizer_class": "BertTokenizerFast", "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]"}""");
        }),
        ("bpe-tokenizer-json", folder => File.WriteAllText(Path.Combine(folder, "tokenizer.json"), BpeTokenizerJson)),
        ("sentencepiece", folder =>
        {
            File.WriteAllBytes(Path.Combine(folder, "tokenizer.model"), SentencePieceModel());
            File.WriteAllText(Path.Combine(folder, "config.json"), """{"model_type": "llama", "max_position_embeddings": 64}""");
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>"}""");
        }),
    ];

    static void Copy(TempFolder source, string target)
    {
        using (source)
            foreach (var file in Directory.GetFiles(source.Path))
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
    }

    static string WordPieceTokenizerJson => """
        {"added_tokens": [{"id": 0, "content": "[PAD]", "special": true}, {"id": 1, "content": "[UNK]", "special": true},
                          {"id": 2, "content": "[CLS]", "special": true}, {"id": 3, "content": "[SEP]", "special": true}],
         "normalizer": {"type": "BertNormalizer", "lowercase": true, "clean_text": true, "handle_chinese_chars": true, "strip_accents": null},
         "pre_tokenizer": {"type": "BertPreTokenizer"},
         "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                   "vocab": {VOCAB}}}
        """.Replace("VOCAB", string.Join(", ", TinyTokenizerFolders.BertVocab.Select((t, i) => $"\"{t}\": {i}")));

    static string BpeTokenizerJson => """
        {"added_tokens": [{"id": 0, "content": "<|endoftext|>", "special": true}],
         "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
         "model": {"type": "BPE", "vocab": {"<|endoftext|>": 0, "a": 1, "b": 2, "c": 3, "Ġ": 4, "ab": 5, "Ġc": 6, "Ã": 7, "©": 8, "ð": 9},
                   "merges": ["a b", "Ġ c"]}}
        """;

    /// <summary>
    /// A minimal SentencePiece BPE model file (protobuf ModelProto): &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, ▁, a–e, ▁a, ab;
    /// identity normalization with a dummy prefix.
    /// </summary>
    public static byte[] SentencePieceModel()
    {
        var model = new MemoryStream();
        (string Piece, float Score, int Type)[] pieces =
        [
            ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3), ("\u2581a", -1, 1), ("ab", -2, 1),
            ("\u2581", -3, 1), ("a", -4, 1), ("b", -5, 1), ("c", -6, 1), ("d", -7, 1), ("e", -8, 1),
        ];
        foreach (var (piece, score, type) in pieces)
        {
            var p = new MemoryStream();
            Bytes(p, 1, Encoding.UTF8.GetBytes(piece));
            Key(p, 2, 5); p.Write(BitConverter.GetBytes(score));
            Key(p, 3, 0); Varint(p, (ulong)type);
            Bytes(model, 1, p.ToArray());
        }
        var trainer = new MemoryStream();
        Key(trainer, 3, 0); Varint(trainer, 2);                   // model_type BPE
        Key(trainer, 4, 0); Varint(trainer, (ulong)pieces.Length); // vocab_size
        Key(trainer, 40, 0); Varint(trainer, 0);                  // unk_id
        Key(trainer, 41, 0); Varint(trainer, 1);                  // bos_id
        Key(trainer, 42, 0); Varint(trainer, 2);                  // eos_id
        Key(trainer, 43, 0); Varint(trainer, unchecked((ulong)-1L)); // pad_id -1
        Bytes(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        Bytes(normalizer, 1, Encoding.UTF8.GetBytes("identity"));
        Key(normalizer, 3, 0); Varint(normalizer, 1); // add_dummy_prefix
        Key(normalizer, 4, 0); Varint(normalizer, 1); // remove_extra_whitespaces
        Key(normalizer, 5, 0); Varint(normalizer, 1); // escape_whitespaces
        Bytes(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    static void Key(Stream s, int field, int wireType) => Varint(s, (ulong)(field << 3 | wireType));

    static void Varint(Stream s, ulong value)
    {
        while (value >= 0x80) { s.WriteByte((byte)(value | 0x80)); value >>= 7; }
        s.WriteByte((byte)value);
    }

    static void Bytes(Stream s, int field, byte[] bytes)
    {
        Key(s, field, 2);
        Varint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }
}
