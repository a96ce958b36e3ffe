using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// A JSON object from a file we did not write (config.json, tokenizer files, adapter configs, safetensors headers),
/// read field by field with the type each field must have. A field of the wrong type is an error naming the file, the
/// field's JSON path, the expected and the actual type, never silently a default; a missing or <c>null</c> field is
/// "not given" (optional getters return null, required ones throw). Parsing refuses duplicate keys and nesting deeper
/// than <see cref="MaxDepth"/>. Errors are built by the format's own exception factory (CheckpointException for
/// safetensors, FormatException for tokenizer files…), so callers keep their documented exception types.
/// </summary>
internal sealed class JsonFields
{
    /// <summary>Deepest nesting accepted; Hugging Face files nest a handful of levels.</summary>
    public const int MaxDepth = 64;

    static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = MaxDepth };

    readonly JsonObject json;
    readonly Func<string, Exception> error;

    JsonFields(JsonObject json, string file, string path, Func<string, Exception> error)
    {
        this.json = json; File = file; Path = path; this.error = error;
    }

    /// <summary>The file, for messages.</summary>
    public string File { get; }

    /// <summary>This object's JSON path inside the file ("" for the top level, "model", "id2label"…).</summary>
    public string Path { get; }

    /// <summary>Parses <paramref name="text"/>, which must hold one JSON object.</summary>
    public static JsonFields Parse(string text, string file, Func<string, Exception>? error = null)
    {
        error ??= DefaultError;
        JsonNode? root;
        try { root = JsonNode.Parse(text, documentOptions: Strict); }
        catch (JsonException e) { throw error($"{file}: not valid JSON ({e.Message})"); }
        return root is JsonObject o ? new JsonFields(o, file, "", error)
            : throw error($"{file}: expected a JSON object at the top level, found {Describe(root)}.");
    }

    /// <summary>Parses UTF-8 bytes (a safetensors header, a zip entry).</summary>
    public static JsonFields Parse(ReadOnlySpan<byte> utf8, string file, Func<string, Exception>? error = null)
    {
        error ??= DefaultError;
        string text;
        try { text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(utf8); }
        catch (System.Text.DecoderFallbackException e) { throw error($"{file}: not valid UTF-8 text ({e.Message})"); }
        return Parse(text, file, error);
    }

    /// <summary>Reads and parses a file the user gave (a regular file only, see <see cref="UserFile"/>).</summary>
    public static JsonFields Read(string path, string what, Func<string, Exception>? error = null) =>
        Parse(UserFile.ReadAllText(path, what), path, error);

    /// <summary>An object built in memory (tests, configs written by us), read with the same checks.</summary>
    public static JsonFields Of(JsonObject json, string file, Func<string, Exception>? error = null) =>
        Parse(json.ToJsonString(), file, error); // through text: values built from .NET numbers then read like parsed ones

    static Exception DefaultError(string message) => new InvalidDataException(message);

    /// <summary>The JSON path of <paramref name="key"/> in this object.</summary>
    public string FieldPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    /// <summary>An error about field <paramref name="key"/>: "<c>file: field 'path' message</c>".</summary>
    public Exception Error(string key, string message) => error($"{File}: field '{FieldPath(key)}' {message}");

    /// <summary>"<c>file: field 'path' must be expected; found actual.</c>"</summary>
    public Exception WrongType(string key, string expected, JsonNode? actual) =>
        Error(key, $"must be {expected}; found {Describe(actual)}.");

    /// <summary>Whether the field is present and not <c>null</c>.</summary>
    public bool Has(string key) => json[key] is not null;

    /// <summary>The field's raw node (null when missing or <c>null</c>), for fields whose type varies.</summary>
    public JsonNode? Raw(string key) => json[key];

    /// <summary>Every field, in file order.</summary>
    public IEnumerable<KeyValuePair<string, JsonNode?>> Fields => json;

    public int Count => json.Count;

    // ---- scalars -------------------------------------------------------------------------------------------

    public string? String(string key) => json[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw WrongType(key, "a string", other),
    };

    public string RequiredString(string key) => String(key) ?? throw WrongType(key, "a string", json[key]);

    public bool? Bool(string key) => json[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValueKind() == JsonValueKind.True,
        var other => throw WrongType(key, "true or false", other),
    };

    public long? Long(string key) => json[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l) => l,
        var other => throw WrongType(key, "an integer", other),
    };

    public int? Int(string key) => json[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) => i,
        var other => throw WrongType(key, $"an integer between {int.MinValue} and {int.MaxValue}", other),
    };

    public int RequiredInt(string key) => Int(key) ?? throw WrongType(key, "an integer", json[key]);

    /// <summary>A finite number.</summary>
    public double? Double(string key) => json[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d) => d,
        var other => throw WrongType(key, "a finite number", other),
    };

    // ---- containers ----------------------------------------------------------------------------------------

    public JsonFields? Object(string key) => json[key] switch
    {
        null => null,
        JsonObject o => new JsonFields(o, File, FieldPath(key), error),
        var other => throw WrongType(key, "an object", other),
    };

    public JsonFields RequiredObject(string key) => Object(key) ?? throw WrongType(key, "an object", json[key]);

    public JsonArray? Array(string key) => json[key] switch
    {
        null => null,
        JsonArray a => a,
        var other => throw WrongType(key, "an array", other),
    };

    public JsonArray RequiredArray(string key) => Array(key) ?? throw WrongType(key, "an array", json[key]);

    /// <summary>An array of strings; null when the field is missing or <c>null</c>.</summary>
    public IReadOnlyList<string>? StringArray(string key)
    {
        if (Array(key) is not { } a) return null;
        // Plain loops, not LINQ, wherever an item check throws: the error's first frame stays ours.
        var items = new string[a.Count];
        for (int i = 0; i < items.Length; i++) items[i] = StringItem(key, a, i);
        return items;
    }

    /// <summary>An array of integers.</summary>
    public long[]? LongArray(string key)
    {
        if (Array(key) is not { } a) return null;
        var items = new long[a.Count];
        for (int i = 0; i < items.Length; i++) items[i] = LongItem(key, a, i);
        return items;
    }

    /// <summary>Item <paramref name="index"/> of array field <paramref name="key"/>, which must be a string.</summary>
    public string StringItem(string key, JsonArray array, int index) =>
        array[index] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
            : throw WrongType($"{key}[{index}]", "a string", array[index]);

    /// <summary>Item <paramref name="index"/> of array field <paramref name="key"/>, which must be an integer.</summary>
    public long LongItem(string key, JsonArray array, int index) =>
        array[index] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l) ? l
            : throw WrongType($"{key}[{index}]", "an integer", array[index]);

    /// <summary>Item <paramref name="index"/> of array field <paramref name="key"/>, which must be an object.</summary>
    public JsonFields ObjectItem(string key, JsonArray array, int index) =>
        array[index] is JsonObject o ? new JsonFields(o, File, $"{FieldPath(key)}[{index}]", error)
            : throw WrongType($"{key}[{index}]", "an object", array[index]);

    /// <summary>An object of string → integer (a vocabulary); every value must be an integer in int range.</summary>
    public Dictionary<string, int>? IntMap(string key)
    {
        if (Object(key) is not { } map) return null;
        var result = new Dictionary<string, int>(map.Count, StringComparer.Ordinal);
        foreach (var (name, value) in map.json)
            result[name] = value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var id) ? id
                : throw map.WrongType(name, "an integer id", value);
        return result;
    }

    /// <summary>This object as string → integer (for files that are one vocabulary object, e.g. vocab.json, added_tokens.json).</summary>
    public Dictionary<string, int> AsIntMap()
    {
        var result = new Dictionary<string, int>(json.Count, StringComparer.Ordinal);
        foreach (var (name, value) in json)
            result[name] = value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var id) ? id
                : throw WrongType(name, "an integer id", value);
        return result;
    }

    /// <summary>How a value reads in an error message: "nothing", "null", "a string \"x\"", "the number 1.5", "an array"…</summary>
    public static string Describe(JsonNode? node) => node switch
    {
        null => "nothing (missing or null)",
        JsonObject o => $"an object with {o.Count} field(s)",
        JsonArray a => $"an array of {a.Count} item(s)",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => $"a string {Short(v.ToJsonString())}",
            JsonValueKind.Number => $"the number {Short(v.ToJsonString())}",
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            var kind => kind.ToString().ToLower(CultureInfo.InvariantCulture),
        },
        _ => node.GetType().Name,
    };

    static string Short(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
