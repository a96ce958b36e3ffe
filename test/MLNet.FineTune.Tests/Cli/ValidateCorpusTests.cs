using System.Text;
using System.Text.Json;

namespace MLNet.FineTune.Tests.Cli;

/// <summary>
/// <c>validate</c> on a corpus of malformed files written here, each with the line, field and kind of its first
/// error: the tool, run as a process with <c>--json</c>, must exit 2 and report exactly that.
/// </summary>
[TestClass]
public sealed class ValidateCorpusTests
{
    const string Chat = """{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."}]}""";
    const string Text = """{"text":"fine","label":"pos"}""";

    static readonly Encoding Utf8 = new UTF8Encoding(false);

    static byte[] B(string s) => Utf8.GetBytes(s);
    static byte[] B(params object[] parts) => parts.SelectMany(p => p is string s ? B(s) : (byte[])p).ToArray();

    /// <summary>(file name, content, expected line, field, kind, extra arguments).</summary>
    static readonly (string Name, byte[] Content, int Line, string Field, string Kind, string[] Args)[] Corpus =
    [
        ("invalid_json.jsonl", B($"{Text}\n{{\"text\": oops}}\n"), 2, "", "invalid_json", []),
        ("truncated_last_line.jsonl", B($"{Text}\n{Text}\n{{\"text\":\"a\",\"lab"), 3, "", "invalid_json", []),
        ("duplicate_key.jsonl", B("""{"text":"a","text":"b","label":1}"""), 1, "", "invalid_json", []),
        ("array_line.jsonl", B("[1,2,3]\n"), 1, "", "wrong_type", []),
        ("string_line.jsonl", B($"{Text}\n\"just a string\"\n"), 2, "", "wrong_type", []),
        ("unknown_keys.jsonl", B("""{"sentence":"x","class":1}"""), 1, "", "missing_key", []),
        ("missing_label.jsonl", B($"{Text}\n{{\"text\":\"no label\"}}\n"), 2, "label", "missing_key", []),
        ("label_object.jsonl", B("""{"text":"a","label":{"name":"pos"}}"""), 1, "label", "wrong_type", []),
        ("empty_text.jsonl", B($"{Text}\n{Text}\n{{\"text\":\"  \",\"label\":\"pos\"}}\n"), 3, "text", "empty_text", []),
        ("text_number.jsonl", B("""{"text":42,"label":"pos"}"""), 1, "text", "wrong_type", []),
        ("pair_missing.jsonl", B("{\"text\":\"a\",\"text_pair\":\"b\",\"label\":1}\n{\"text\":\"a\",\"label\":1}\n"), 2, "text_pair", "missing_key", []),
        ("chat_bad_role.jsonl", B("""{"messages":[{"role":"user","content":"a"},{"role":"bot","content":"b"}]}"""), 1, "messages[1].role", "unrecognized_role", []),
        ("chat_missing_role.jsonl", B($"{Chat}\n{{\"messages\":[{{\"content\":\"a\"}}]}}\n"), 2, "messages[0].role", "missing_key", []),
        ("chat_missing_content.jsonl", B("""{"messages":[{"role":"user","content":"a"},{"role":"assistant"}]}"""), 1, "messages[1].content", "missing_content", []),
        ("chat_null_content.jsonl", B("""{"messages":[{"role":"user","content":null},{"role":"assistant","content":"b"}]}"""), 1, "messages[0].content", "missing_content", []),
        ("chat_empty_content.jsonl", B("""{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":""}]}"""), 1, "messages[1].content", "missing_content", []),
        ("chat_no_assistant.jsonl", B($"{Chat}\n{Chat}\n{{\"messages\":[{{\"role\":\"system\",\"content\":\"s\"}},{{\"role\":\"user\",\"content\":\"u\"}}]}}\n"), 3, "messages", "no_assistant_message", []),
        ("chat_all_weight_zero.jsonl", B("""{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":0}]}"""), 1, "messages", "no_assistant_message", []),
        ("chat_empty_messages.jsonl", B("""{"messages":[]}"""), 1, "messages", "no_assistant_message", []),
        ("chat_weight_two.jsonl", B("""{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":2}]}"""), 1, "messages[1].weight", "invalid_value", []),
        ("chat_weight_on_user.jsonl", B("""{"messages":[{"role":"user","content":"a","weight":0},{"role":"assistant","content":"b"}]}"""), 1, "messages[0].weight", "invalid_value", []),
        ("chat_weight_string.jsonl", B("""{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":"1"}]}"""), 1, "messages[1].weight", "wrong_type", []),
        ("chat_messages_string.jsonl", B("""{"messages":"hello"}"""), 1, "messages", "wrong_type", []),
        ("chat_content_parts.jsonl", B("""{"messages":[{"role":"user","content":[{"type":"text","text":"a"}]},{"role":"assistant","content":"b"}]}"""), 1, "messages[0].content", "wrong_type", []),
        ("chat_then_prompt.jsonl", B($"{Chat}\n{{\"prompt\":\"a\",\"completion\":\"b\"}}\n"), 2, "messages", "missing_key", []),
        ("empty_completion.jsonl", B("""{"prompt":"a","completion":""}"""), 1, "completion", "empty_text", []),
        ("missing_completion.jsonl", B("{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"c\"}\n"), 2, "completion", "missing_key", []),
        ("tags_length.jsonl", B("""{"tokens":["Ada","Lovelace"],"tags":["B-PER"]}"""), 1, "tags", "invalid_value", []),
        ("tokens_string.jsonl", B("""{"tokens":"Ada Lovelace","tags":["B-PER","I-PER"]}"""), 1, "tokens", "wrong_type", []),
        ("tag_number.jsonl", B("""{"tokens":["Ada","Lovelace"],"tags":["B-PER",7]}"""), 1, "tags[1]", "wrong_type", []),
        ("invalid_utf8.jsonl", B(Text + "\n{\"text\":\"caf", new byte[] { 0xC3, 0x28 }, "\",\"label\":\"pos\"}\n"), 2, "", "invalid_utf8", []),
        ("bom_crlf_blank_lines.jsonl", B("\uFEFF" + Text + "\r\n\r\n" + Text + "\r\n{\"text\":\"\",\"label\":\"neg\"}\r\n"), 4, "text", "empty_text", []),
        ("empty.jsonl", [], 0, "", "empty_text", []),
        ("only_blank_lines.jsonl", B("\n  \n\r\n"), 0, "", "empty_text", []),
        ("csv_missing_column.csv", B("sentence,label\nfine,pos\n"), 1, "text", "missing_key", []),
        ("csv_field_count.csv", B("text,label\nfine,pos\ngood, not bad,pos\n"), 3, "", "malformed_row", []),
        ("csv_unclosed_quote.csv", B("text,label\n\"never closed,pos\nfine,pos\n"), 2, "", "malformed_row", []),
        ("csv_text_after_quote.csv", B("text,label\n\"quoted\"tail,pos\n"), 2, "", "malformed_row", []),
        ("csv_empty_label.csv", B("text,label\nfine,pos\nokay,\n"), 3, "label", "empty_text", []),
        ("csv_multiline_then_empty_text.csv", B("text,label\n\"two\nlines, quoted\",pos\n\"\",neg\n"), 4, "text", "empty_text", []),
        ("csv_custom_columns.csv", B("review,stars\ngood,5\nbad\n"), 3, "", "malformed_row", ["--text-column", "review", "--label-column", "stars"]),
        ("tsv_missing_label_column.tsv", B("text\tsentiment\nfine\tpos\n"), 1, "label", "missing_key", []),
        ("tsv_invalid_utf8.tsv", B("text\tlabel\nfine\tpos\n", new byte[] { 0xFF, 0xFE }, "\tneg\n"), 3, "", "invalid_utf8", []),
        ("conll_one_column.conll", B("EU B-ORG\nrejects O\n\nPeter\n"), 4, "", "malformed_row", []),
        ("conll_invalid_utf8.conll", B("EU B-ORG\n", new byte[] { 0x80 }, " O\n"), 2, "", "invalid_utf8", []),
    ];

    [TestMethod]
    public void TheCorpusHasAtLeastThirtyFilesOfEveryLayout()
    {
        Assert.IsGreaterThanOrEqualTo(30, Corpus.Length);
        Assert.AreEqual(Corpus.Length, Corpus.Select(c => c.Name).Distinct().Count());
        foreach (var ext in new[] { ".jsonl", ".csv", ".tsv", ".conll" })
            Assert.IsTrue(Corpus.Any(c => c.Name.EndsWith(ext, StringComparison.Ordinal)), ext);
    }

    [TestMethod]
    public void EveryMalformedFileFailsWithItsLineFieldAndKind()
    {
        var dir = Directory.CreateTempSubdirectory("mlnet-validate-corpus-").FullName;
        try
        {
            var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
            Parallel.ForEach(Corpus, new ParallelOptions { MaxDegreeOfParallelism = 4 }, c =>
            {
                File.WriteAllBytes(Path.Combine(dir, c.Name), c.Content);
                var result = CliProcess.Run(["validate", c.Name, "--json", .. c.Args], workingDirectory: dir);
                var problem = Check(c, result);
                if (problem is not null) failures.Add($"{c.Name}: {problem}\n{result}");
            });
            Assert.IsEmpty(failures, string.Join("\n\n", failures));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    static string? Check((string Name, byte[] Content, int Line, string Field, string Kind, string[] Args) c, CliResult result)
    {
        if (result.ExitCode != 2) return $"exit {result.ExitCode}, expected 2";
        using var json = JsonDocument.Parse(result.Stdout);
        var errors = json.RootElement.GetProperty("errors");
        if (errors.GetArrayLength() == 0) return "no errors reported";
        var first = errors[0];
        var actual = (first.GetProperty("file").GetString(), first.GetProperty("line").GetInt32(), first.GetProperty("field").GetString(), first.GetProperty("kind").GetString());
        if (actual != (c.Name, c.Line, c.Field, c.Kind)) return $"first error {actual}, expected {(c.Name, c.Line, c.Field, c.Kind)}";
        if (string.IsNullOrWhiteSpace(first.GetProperty("message").GetString())) return "empty message";
        return null;
    }

    [TestMethod]
    public void HumanOutputPrintsOneGreppableLinePerErrorAndExitsTwo()
    {
        var dir = Directory.CreateTempSubdirectory("mlnet-validate-human-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "chat.jsonl"), Chat + "\n" + """{"messages":[{"role":"user","content":"a"},{"role":"bot","content":"b"}]}""" + "\n");
            var result = CliProcess.Run(["validate", "chat.jsonl"], workingDirectory: dir);
            Assert.AreEqual(2, result.ExitCode, result.ToString());
            StringAssert.Contains(result.Stdout, "error: chat.jsonl:2: messages[1].role: unrecognized_role: unrecognized role 'bot'; expected system, user or assistant", result.ToString());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
