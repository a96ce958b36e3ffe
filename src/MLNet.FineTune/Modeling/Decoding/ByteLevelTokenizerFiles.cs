using System.Text;
using System.Text.Json.Nodes;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>
/// The tokenizer of a decoder trained from scratch when the user brings none: GPT-2's byte-level BPE with no merges,
/// so every UTF-8 byte is one token (ids 0–255, in byte order) and <c>&lt;|endoftext|&gt;</c> (id 256) ends a
/// sequence. Any text is encoded without unknown tokens, and the files are GPT-2's own format (vocab.json, an empty
/// merges.txt, tokenizer_config.json), so the saved model is an ordinary Hugging Face checkpoint folder.
/// </summary>
internal static class ByteLevelTokenizerFiles
{
    public const string EndOfText = "<|endoftext|>";
    public const int EndOfTextId = 256;
    public const int VocabSize = 257;

    public static Dictionary<string, byte[]> Create(int modelMaxLength)
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[ByteLevelBpe.ToByteLevel([(byte)b])] = b;
        vocab[EndOfText] = EndOfTextId;
        var config = new JsonObject
        {
            ["tokenizer_class"] = "GPT2Tokenizer",
            ["model_max_length"] = modelMaxLength,
            ["bos_token"] = EndOfText, ["eos_token"] = EndOfText, ["unk_token"] = EndOfText,
            ["add_prefix_space"] = false,
            // Decoding must give back exactly the bytes that were encoded (HF's clean-up would join " ." into ".").
            ["clean_up_tokenization_spaces"] = false,
            ["added_tokens_decoder"] = new JsonObject
            {
                [EndOfTextId.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
                {
                    ["content"] = EndOfText, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = true, ["single_word"] = false, ["special"] = true,
                },
            },
        };
        return new Dictionary<string, byte[]>
        {
            ["vocab.json"] = Encoding.UTF8.GetBytes(vocab.ToJsonString()),
            ["merges.txt"] = Encoding.UTF8.GetBytes("#version: 0.2\n"),
            ["tokenizer_config.json"] = Encoding.UTF8.GetBytes(config.ToJsonString()),
        };
    }
}
