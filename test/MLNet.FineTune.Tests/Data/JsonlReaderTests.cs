using System.Text;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Tests.Data;

[TestClass]
public class JsonlReaderTests
{
    static List<JsonlEntry> Read(string text, JsonlReaderOptions? options = null) => Read(Encoding.UTF8.GetBytes(text), options);

    static List<JsonlEntry> Read(byte[] bytes, JsonlReaderOptions? options = null) =>
        JsonlReader.Read(new MemoryStream(bytes), "data.jsonl", options).ToList();

    static DataIssue SingleIssue(string text, JsonlReaderOptions? options = null)
    {
        var issues = Read(text, options).Where(e => e.Issue is not null).Select(e => e.Issue!).ToList();
        Assert.HasCount(1, issues, string.Join("\n", issues));
        return issues[0];
    }

    static void AssertIssue(DataIssue issue, int line, string field, DataIssueKind kind)
    {
        Assert.AreEqual(("data.jsonl", line, field, kind), (issue.File, issue.Line, issue.Field, issue.Kind), issue.ToString());
        Assert.IsFalse(string.IsNullOrWhiteSpace(issue.Message));
    }

    const string GoodChat = """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello.","weight":1}]}""";

    [TestMethod]
    public void ReadsChatWithRolesAndWeights()
    {
        var entries = Read(GoodChat + "\n" + """{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":0},{"role":"assistant","content":"c"}]}""" + "\n");
        Assert.HasCount(2, entries);
        var first = entries[0].Example!.Generative!;
        Assert.IsTrue(first.IsChat);
        CollectionAssert.AreEqual(new[] { ChatRole.System, ChatRole.User, ChatRole.Assistant }, first.Turns!.Select(t => t.Role).ToArray());
        Assert.AreEqual("Hello.", first.Turns![2].Content);
        Assert.AreEqual(1, first.Turns![2].Weight);
        Assert.AreEqual("data.jsonl:1", first.Source);
        var second = entries[1].Example!.Generative!.Turns!;
        Assert.IsFalse(second[1].IsTrained);
        Assert.IsTrue(second[2].IsTrained);
        Assert.AreEqual(2, entries[1].Line);
    }

    [TestMethod]
    public void ReadsPromptCompletionTextLabelPairsAndTags()
    {
        var pc = Read("""{"prompt":"2+2=","completion":" 4"}""").Single().Example!;
        Assert.AreEqual(JsonlFormat.PromptCompletion, pc.Format);
        Assert.AreEqual(("2+2=", " 4"), (pc.Generative!.Prompt, pc.Generative.Completion));

        var text = Read("{\"text\":\"good\",\"label\":\"pos\"}\n{\"text\":\"bad\",\"label\":0}\n{\"text\":\"meh\",\"label\":0.5}\n{\"text\":\"ok\",\"label\":true}").Select(e => e.Example!).ToList();
        CollectionAssert.AreEqual(new[] { "pos", "0", "0.5", "true" }, text.Select(e => e.Label).ToArray());
        Assert.IsTrue(text.All(e => e.Format == JsonlFormat.TextLabel));

        var pair = Read("""{"text":"a","text_pair":"b","label":"yes"}""").Single().Example!;
        Assert.AreEqual((JsonlFormat.TextPairLabel, "a", "b", "yes"), (pair.Format, pair.Text, pair.TextPair, pair.Label));

        var tags = Read("""{"tokens":["Ada","Lovelace"],"tags":["B-PER","I-PER"]}""").Single().Example!;
        CollectionAssert.AreEqual(new[] { "B-PER", "I-PER" }, tags.Tags!.ToArray());
    }

    [TestMethod]
    public void BomCrLfAndBlankLinesAreToleratedAndLineNumbersStayTrue()
    {
        var entries = Read("\uFEFF{\"text\":\"a\",\"label\":1}\r\n\r\n   \n{\"text\":\"b\",\"label\":2}\r\n");
        CollectionAssert.AreEqual(new[] { 1, 4 }, entries.Select(e => e.Line).ToArray());
        Assert.IsTrue(entries.All(e => e.Example is not null));
    }

    [TestMethod]
    public void CustomFieldNamesAndUnlabelledInputForPrediction()
    {
        var options = new JsonlReaderOptions { TextField = "review", RequireLabels = false };
        var example = Read("""{"review":"fine"}""", options).Single().Example!;
        Assert.AreEqual(("fine", null), (example.Text, example.Label));
    }

    [TestMethod]
    public void InvalidJsonTruncatedLineAndDuplicateKey()
    {
        AssertIssue(SingleIssue(GoodChat + "\n{\"text\": \"a\", \"label\""), 2, "", DataIssueKind.InvalidJson);
        AssertIssue(SingleIssue("{\"text\":\"a\",\"label\":1}\n\n{\"text\":\"a\",\"text\":\"b\",\"label\":1}"), 3, "", DataIssueKind.InvalidJson);
        AssertIssue(SingleIssue("not json at all"), 1, "", DataIssueKind.InvalidJson);
    }

    [TestMethod]
    public void NotAnObjectIsWrongType() => AssertIssue(SingleIssue("[1,2]"), 1, "", DataIssueKind.WrongType);

    [TestMethod]
    public void UnknownShapeIsMissingKey()
    {
        var issue = SingleIssue("""{"sentence":"a","class":1}""");
        AssertIssue(issue, 1, "", DataIssueKind.MissingKey);
        StringAssert.Contains(issue.Message, "'sentence'");
    }

    [TestMethod]
    public void ALineOfAnotherFormatThanTheFileIsMissingTheFilesKey() =>
        AssertIssue(SingleIssue(GoodChat + "\n" + """{"prompt":"a","completion":"b"}"""), 2, "messages", DataIssueKind.MissingKey);

    [TestMethod]
    public void ChatErrorsNameTheMessageAndField()
    {
        AssertIssue(SingleIssue("""{"messages":[{"role":"user","content":"a"},{"role":"bot","content":"b"}]}"""), 1, "messages[1].role", DataIssueKind.UnrecognizedRole);
        AssertIssue(SingleIssue("""{"messages":[{"role":"user","content":"a"},{"content":"b"}]}"""), 1, "messages[1].role", DataIssueKind.MissingKey);
        AssertIssue(SingleIssue("""{"messages":[{"role":"user"},{"role":"assistant","content":"b"}]}"""), 1, "messages[0].content", DataIssueKind.MissingContent);
        AssertIssue(SingleIssue("""{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"  "}]}"""), 1, "messages[1].content", DataIssueKind.MissingContent);
        AssertIssue(SingleIssue("""{"messages":[{"role":"system","content":"s"},{"role":"user","content":"a"}]}"""), 1, "messages", DataIssueKind.NoAssistantMessage);
        AssertIssue(SingleIssue("""{"messages":[]}"""), 1, "messages", DataIssueKind.NoAssistantMessage);
        AssertIssue(SingleIssue("""{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":0}]}"""), 1, "messages", DataIssueKind.NoAssistantMessage);
        AssertIssue(SingleIssue("""{"messages":"hello"}"""), 1, "messages", DataIssueKind.WrongType);
        AssertIssue(SingleIssue("""{"messages":[{"role":"user","content":["a"]},{"role":"assistant","content":"b"}]}"""), 1, "messages[0].content", DataIssueKind.WrongType);
        AssertIssue(SingleIssue("""{"messages":[{"role":1,"content":"a"}]}"""), 1, "messages[0].role", DataIssueKind.WrongType);
        AssertIssue(SingleIssue("""{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":2}]}"""), 1, "messages[1].weight", DataIssueKind.InvalidValue);
        AssertIssue(SingleIssue("""{"messages":[{"role":"user","content":"a","weight":1},{"role":"assistant","content":"b"}]}"""), 1, "messages[0].weight", DataIssueKind.InvalidValue);
        AssertIssue(SingleIssue("""{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":"1"}]}"""), 1, "messages[1].weight", DataIssueKind.WrongType);
        AssertIssue(SingleIssue("""{"messages":[7]}"""), 1, "messages[0]", DataIssueKind.WrongType);
    }

    [TestMethod]
    public void TextAndTagErrors()
    {
        AssertIssue(SingleIssue("""{"text":"","label":"a"}"""), 1, "text", DataIssueKind.EmptyText);
        AssertIssue(SingleIssue("""{"text":5,"label":"a"}"""), 1, "text", DataIssueKind.WrongType);
        AssertIssue(SingleIssue("""{"text":"a"}"""), 1, "label", DataIssueKind.MissingKey);
        AssertIssue(SingleIssue("""{"text":"a","label":{"x":1}}"""), 1, "label", DataIssueKind.WrongType);
        AssertIssue(SingleIssue("{\"text\":\"a\",\"text_pair\":\"b\",\"label\":1}\n{\"text\":\"a\",\"label\":1}"), 2, "text_pair", DataIssueKind.MissingKey);
        AssertIssue(SingleIssue("""{"prompt":"a","completion":""}"""), 1, "completion", DataIssueKind.EmptyText);
        AssertIssue(SingleIssue("""{"prompt":"a"}"""), 1, "completion", DataIssueKind.MissingKey);
        AssertIssue(SingleIssue("""{"tokens":["a","b"],"tags":["O"]}"""), 1, "tags", DataIssueKind.InvalidValue);
        AssertIssue(SingleIssue("""{"tokens":["a",3],"tags":["O","O"]}"""), 1, "tokens[1]", DataIssueKind.WrongType);
        AssertIssue(SingleIssue("""{"tokens":[],"tags":[]}"""), 1, "tokens", DataIssueKind.EmptyText);
        AssertIssue(SingleIssue("""{"tokens":"a b","tags":["O","O"]}"""), 1, "tokens", DataIssueKind.WrongType);
    }

    [TestMethod]
    public void InvalidUtf8IsAnIssueWithItsLine()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"text\":\"a\",\"label\":1}\n{\"text\":\"").Concat(new byte[] { 0xC3, 0x28, 0xFF }).Concat(Encoding.UTF8.GetBytes("\",\"label\":1}\n")).ToArray();
        var issue = Read(bytes).Single(e => e.Issue is not null).Issue!;
        AssertIssue(issue, 2, "", DataIssueKind.InvalidUtf8);
    }

    [TestMethod]
    public void ALineOverTheCapIsSkippedAndTheNextLineIsStillRead()
    {
        var huge = "{\"text\":\"" + new string('x', 200_000) + "\",\"label\":1}";
        var entries = Read(huge + "\n{\"text\":\"b\",\"label\":1}\n", new JsonlReaderOptions { MaxLineBytes = 1000 });
        Assert.HasCount(2, entries);
        AssertIssue(entries[0].Issue!, 1, "", DataIssueKind.LineTooLong);
        StringAssert.Contains(entries[0].Issue!.Message, "200,");
        Assert.AreEqual(("b", 2), (entries[1].Example!.Text, entries[1].Line));
    }

    [TestMethod]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(15);
        for (int i = 0; i < 200; i++)
        {
            var bytes = new byte[random.Next(0, 3000)];
            random.NextBytes(bytes);
            if (i % 3 == 0) // mostly-JSON noise: a valid line cut at a random point, with random bytes after it
                bytes = Encoding.UTF8.GetBytes(GoodChat[..random.Next(GoodChat.Length)]).Concat(bytes.Take(20)).ToArray();
            var entries = Read(bytes, new JsonlReaderOptions { MaxLineBytes = 512 });
            Assert.IsTrue(entries.All(e => (e.Example is null) != (e.Issue is null)));
        }
    }

    [TestMethod]
    public void IssueToStringIsTheOneLineUsersRead()
    {
        var issue = SingleIssue("""{"messages":[{"role":"bot","content":"b"}]}""");
        StringAssert.StartsWith(issue.ToString(), "data.jsonl:1: messages[0].role: unrecognized_role: ");
    }
}
