using System.Text.Json.Nodes;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Data;

/// <summary>Reads a checkpoint's chat template from tokenizer_config.json: <c>chat_template</c> plus its <c>bos_token</c> and <c>eos_token</c>.</summary>
internal static class ChatTemplateFiles
{
    const string File = "tokenizer_config.json";

    /// <summary>
    /// The folder's template, or null when tokenizer_config.json is missing or has no <c>chat_template</c>. A list of
    /// named templates (newer transformers) yields the one named <c>default</c>.
    /// </summary>
    /// <exception cref="FormatException">The file or one of the fields is malformed; the message names them.</exception>
    /// <exception cref="NotSupportedException">The template is outside the supported subset.</exception>
    public static ChatTemplate? Read(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var path = Path.Combine(folder, File);
        if (!System.IO.File.Exists(path)) return null;
        var config = JsonFields.Parse(System.IO.File.ReadAllText(path), path, m => new FormatException(m));
        if (!config.Has("chat_template")) return null;
        string template = config.Raw("chat_template") switch
        {
            JsonValue => config.RequiredString("chat_template"),
            JsonArray named => Default(config, named),
            var other => throw config.WrongType("chat_template", "a string or a list of {\"name\", \"template\"}", other),
        };
        return new JinjaChatTemplate(template, Token(config, "bos_token"), Token(config, "eos_token"), name: Path.GetFileName(Path.GetFullPath(folder)));
    }

    static string Default(JsonFields config, JsonArray named)
    {
        for (int i = 0; i < named.Count; i++)
        {
            var entry = config.ObjectItem("chat_template", named, i);
            if (entry.String("name") == "default") return entry.RequiredString("template");
        }
        throw config.Error("chat_template", "is a list of named templates without one named 'default'.");
    }

    /// <summary>A special token written as a string or as an AddedToken object with <c>content</c>.</summary>
    static string? Token(JsonFields config, string key) => config.Raw(key) switch
    {
        null => null,
        JsonValue => config.String(key),
        JsonObject => config.RequiredObject(key).RequiredString("content"),
        var other => throw config.WrongType(key, "a string or an object with \"content\"", other),
    };
}
