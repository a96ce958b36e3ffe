using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNet.FineTune.Cli.Output;

/// <summary>
/// How every command writes: one JSON document on stdout with <c>--json</c> (camelCase, nulls left out), human text
/// otherwise, and failures as one <c>error: ...</c> line on stderr with exit code 2 (plus <c>{"error": ...}</c> on
/// stdout with <c>--json</c>, so a script always gets a document).
/// </summary>
internal static class CliOutput
{
    static readonly JsonSerializerOptions Indented = Options(indented: true);
    static readonly JsonSerializerOptions Compact = Options(indented: false);

    static JsonSerializerOptions Options(bool indented) => new()
    {
        WriteIndented = indented,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Texts from the user's data are echoed back; keep them readable (no \u escapes for non-ASCII or quotes).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes <paramref name="document"/> as the command's one JSON document on stdout.</summary>
    public static void WriteJson(object document) => Console.Out.WriteLine(JsonSerializer.Serialize(document, Indented));

    /// <summary><paramref name="value"/> as one line of JSON (JSONL output).</summary>
    public static string JsonLine(object value) => JsonSerializer.Serialize(value, Compact);

    /// <summary>Reports a failure (one line on stderr; a JSON document too with <c>--json</c>) and returns <see cref="ExitCode.Error"/>.</summary>
    public static int Fail(string message, bool json)
    {
        message = message.ReplaceLineEndings(" ");
        Console.Error.WriteLine("error: " + message);
        if (json) WriteJson(new { error = message, exitCode = ExitCode.Error });
        return ExitCode.Error;
    }

    /// <summary>
    /// Runs a command's body and turns the failures a user can cause (missing or unreadable files, malformed inputs,
    /// bad option values) into <see cref="Fail"/>; anything else is a bug and keeps its stack trace.
    /// </summary>
    public static int Guard(bool json, Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (IsUserError(e)) { return Fail(e.Message, json); }
    }

    static bool IsUserError(Exception e) => e is UserError or IOException or UnauthorizedAccessException or InvalidDataException
        or FormatException or ArgumentException or NotSupportedException or JsonException or InvalidOperationException;
}

/// <summary>A failure caused by the user's input or options; its message is the whole story (what, where, the fix).</summary>
internal sealed class UserError(string message) : Exception(message);
