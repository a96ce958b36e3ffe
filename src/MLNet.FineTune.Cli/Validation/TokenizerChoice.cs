using MLNet.FineTune.Cli.Output;
using System.Text;
using MLNet.FineTune.Pretrained;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Cli.Validation;

/// <summary>
/// The tokenizer of <c>--model</c> (minilm, arctic-xs or a model folder), read alone: a pretrained model's vocab.txt
/// straight from its package, a folder's tokenizer files; weights are never loaded or converted.
/// </summary>
internal static class TokenizerChoice
{
    public const string Choices = "minilm, arctic-xs, or a Hugging Face model folder";

    public static (TransformerTokenizer Tokenizer, string Name) Load(string model)
    {
        var pretrained = model.ToLowerInvariant() switch
        {
            "minilm" or "all-minilm-l6-v2" => PretrainedModels.AllMiniLmL6V2,
            "arctic-xs" or "snowflake-arctic-embed-xs" => PretrainedModels.ArcticEmbedXs,
            _ => null,
        };
        if (pretrained is EmbeddedPretrainedModel embedded)
        {
            using var vocab = embedded.Open("vocab.txt");
            using var bytes = new MemoryStream();
            vocab.CopyTo(bytes);
            // Both packaged models are uncased BERT WordPiece (what ModelCache writes as their tokenizer_config.json).
            var config = """{"tokenizer_class":"BertTokenizer","do_lower_case":true,"model_max_length":512}"""u8.ToArray();
            var files = new Dictionary<string, byte[]> { ["vocab.txt"] = bytes.ToArray(), ["tokenizer_config.json"] = config };
            return (TransformerTokenizer.FromFiles(files, embedded.Name), embedded.Name);
        }
        if (Directory.Exists(model)) return (TransformerTokenizer.FromFolder(model), Path.GetFileName(Path.GetFullPath(model).TrimEnd('/')));
        throw new UserError($"--model {model}: not a known model or an existing folder; use {Choices}.");
    }
}
