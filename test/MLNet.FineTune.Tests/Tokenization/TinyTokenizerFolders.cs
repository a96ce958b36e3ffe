namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>Hand-made miniature checkpoint folders for fast unit tests.</summary>
internal static class TinyTokenizerFolders
{
    /// <summary>Ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 a=5 b=6 c=7 d=8 e=9 hello=10 world=11 ,=12 !=13 ##x=14 new=15 york=16 日=17 本=18.</summary>
    public static readonly string[] BertVocab =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d", "e", "hello", "world", ",", "!", "##x", "new", "york", "日", "本"];

    public static TempFolder WordPiece(string modelType = "bert")
    {
        var folder = new TempFolder();
        folder.Write("vocab.txt", string.Join("\n", BertVocab) + "\n");
        folder.Write("tokenizer_config.json", """
            {"do_lower_case": true, "model_max_length": 16, "tokenizer_class": "BertTokenizer",
             "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"}
            """);
        folder.Write("config.json", $$"""{"model_type": "{{modelType}}", "max_position_embeddings": 40}""");
        return folder;
    }

    /// <summary>
    /// Byte-level BPE: &lt;s&gt;=0 &lt;pad&gt;=1 &lt;/s&gt;=2 &lt;unk&gt;=3 a=4 b=5 c=6 Ġ=7 ab=8 Ġc=9 Ã=10 ©=11 &lt;mask&gt;=12;
    /// merges "a b", "Ġ c". RoBERTa special tokens unless <paramref name="gpt2"/>.
    /// </summary>
    public static TempFolder ByteLevelBpe(bool gpt2 = false, string? merges = null)
    {
        var folder = new TempFolder();
        folder.Write("vocab.json", """{"<s>":0,"<pad>":1,"</s>":2,"<unk>":3,"a":4,"b":5,"c":6,"Ġ":7,"ab":8,"Ġc":9,"Ã":10,"©":11,"<mask>":12}""");
        folder.Write("merges.txt", merges ?? "#version: 0.2\na b\nĠ c\n");
        folder.Write("tokenizer_config.json", gpt2
            ? """{"tokenizer_class": "GPT2Tokenizer", "eos_token": "</s>", "bos_token": "</s>", "unk_token": "<unk>", "pad_token": null}"""
            : """
              {"tokenizer_class": "RobertaTokenizer", "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
               "pad_token": "<pad>", "unk_token": "<unk>",
               "mask_token": {"content": "<mask>", "lstrip": true, "rstrip": false}}
              """);
        return folder;
    }
}
