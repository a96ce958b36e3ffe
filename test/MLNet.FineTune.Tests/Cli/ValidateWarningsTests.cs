using System.Text.Json;

namespace MLNet.FineTune.Tests.Cli;

/// <summary><c>validate</c>'s warnings, each on a file made to trigger it, and the exit codes with and without <c>--strict</c>.</summary>
[TestClass]
public sealed class ValidateWarningsTests
{
    string dir = "";

    [TestInitialize]
    public void Create() => dir = Directory.CreateTempSubdirectory("mlnet-validate-warn-").FullName;

    [TestCleanup]
    public void Delete() => Directory.Delete(dir, recursive: true);

    static string Line(string text, string label) => JsonSerializer.Serialize(new { text, label });

    /// <summary>n distinct examples, alternating two labels.</summary>
    static IEnumerable<string> Balanced(int n, string prefix = "example") =>
        Enumerable.Range(0, n).Select(i => Line($"{prefix} number {i}", i % 2 == 0 ? "pos" : "neg"));

    string Write(string name, IEnumerable<string> lines)
    {
        File.WriteAllLines(Path.Combine(dir, name), lines);
        return name;
    }

    (CliResult Result, JsonElement Json) Validate(params string[] args)
    {
        var result = CliProcess.Run(["validate", .. args, "--json"], workingDirectory: dir);
        Assert.AreNotEqual(2, result.ExitCode, result.ToString());
        return (result, JsonDocument.Parse(result.Stdout).RootElement.Clone());
    }

    static List<string> Kinds(JsonElement json) => json.GetProperty("warnings").EnumerateArray().Select(w => w.GetProperty("kind").GetString()!).ToList();

    static JsonElement Warning(JsonElement json, string kind) =>
        json.GetProperty("warnings").EnumerateArray().Single(w => w.GetProperty("kind").GetString() == kind);

    [TestMethod]
    public void ACleanBalancedFileHasNoWarningsAndPassesStrict()
    {
        var (result, json) = Validate(Write("clean.jsonl", Balanced(12)), "--strict");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.IsEmpty(Kinds(json), result.Stdout);
        var file = json.GetProperty("files")[0];
        Assert.AreEqual(("text_label", 12), (file.GetProperty("format").GetString(), file.GetProperty("examples").GetInt32()));
        Assert.AreEqual(6, file.GetProperty("labels").EnumerateArray().Single(l => l.GetProperty("label").GetString() == "pos").GetProperty("count").GetInt32());
        Assert.IsTrue(json.GetProperty("ok").GetBoolean());
    }

    [TestMethod]
    public void FewExamplesWarnsAndStrictExitsOne()
    {
        var name = Write("few.jsonl", Balanced(4));
        var (lenient, json) = Validate(name);
        Assert.AreEqual(0, lenient.ExitCode, lenient.ToString());
        CollectionAssert.AreEqual(new[] { "few_examples" }, Kinds(json));
        StringAssert.Contains(Warning(json, "few_examples").GetProperty("message").GetString(), "only 4 examples");
        var (strict, _) = Validate(name, "--strict");
        Assert.AreEqual(1, strict.ExitCode, strict.ToString());
    }

    [TestMethod]
    public void LabelImbalanceNamesTheLabelsAndRatio()
    {
        var lines = Enumerable.Range(0, 20).Select(i => Line($"good {i}", "pos")).Append(Line("bad", "neg"));
        var (_, json) = Validate(Write("imbalanced.jsonl", lines));
        CollectionAssert.AreEqual(new[] { "label_imbalance" }, Kinds(json));
        StringAssert.Contains(Warning(json, "label_imbalance").GetProperty("message").GetString(), "'pos' has 20 examples, 'neg' only 1 (20x");
    }

    [TestMethod]
    public void RegressionLabelsAreNotClassesToBalance()
    {
        var lines = Enumerable.Range(0, 30).Select(i => JsonSerializer.Serialize(new { text = $"t {i}", label = i / 7.0 }));
        var (_, json) = Validate(Write("regression.jsonl", lines));
        Assert.IsEmpty(Kinds(json));
        Assert.IsTrue(json.GetProperty("files")[0].GetProperty("regression").GetBoolean());
    }

    [TestMethod]
    public void DuplicatesGiveTheLinesAndConflictingLabels()
    {
        var lines = Balanced(12).Append(Line("example number 3", "pos")).Append(Line("example number 4", "pos"));
        var (_, json) = Validate(Write("dups.jsonl", lines));
        var warning = Warning(json, "duplicates");
        StringAssert.Contains(warning.GetProperty("message").GetString(), "2 duplicated inputs (line 13 repeats line 4, line 14 repeats line 5); 1 of them with a different label");
        CollectionAssert.AreEqual(new[] { 13, 14 }, warning.GetProperty("lines").EnumerateArray().Select(l => l.GetInt32()).ToArray());
    }

    [TestMethod]
    public void ValidationOverlapAndUnseenLabels()
    {
        var train = Write("train.jsonl", Balanced(12));
        var validation = Write("valid.jsonl", Balanced(12, "held out").Take(10).Append(Line("example number 2", "pos")).Append(Line("so so", "neutral")));
        var (_, json) = Validate(train, "--validation", validation);
        CollectionAssert.AreEquivalent(new[] { "validation_overlap", "unseen_labels" }, Kinds(json));
        var overlap = Warning(json, "validation_overlap");
        Assert.AreEqual("valid.jsonl", overlap.GetProperty("file").GetString());
        CollectionAssert.AreEqual(new[] { 11 }, overlap.GetProperty("lines").EnumerateArray().Select(l => l.GetInt32()).ToArray());
        StringAssert.Contains(Warning(json, "unseen_labels").GetProperty("message").GetString(), "'neutral'");
        Assert.AreEqual(2, json.GetProperty("files").GetArrayLength());
    }

    [TestMethod]
    public void UnseenTagsInATaggingValidationFile()
    {
        static string Tagged(string[] tokens, string[] tags) => JsonSerializer.Serialize(new { tokens, tags });
        var train = Write("train.jsonl", Enumerable.Range(0, 12).Select(i => Tagged([$"Ada{i}", "Lovelace"], ["B-PER", "I-PER"])));
        var validation = Write("valid.jsonl", Enumerable.Range(0, 12).Select(i => Tagged([$"Paris{i}"], [i == 5 ? "B-LOC" : "B-PER"])));
        var (_, json) = Validate(train, "--validation", validation);
        CollectionAssert.AreEqual(new[] { "unseen_labels" }, Kinds(json));
        StringAssert.Contains(Warning(json, "unseen_labels").GetProperty("message").GetString(), "'B-LOC'");
    }

    [TestMethod]
    public void TruncationAtMaxLengthWithTheModelsTokenizerAndAHistogram()
    {
        var lines = Balanced(12).Append(Line(string.Join(' ', Enumerable.Repeat("tokenization", 40)), "pos"));
        var (result, json) = Validate(Write("long.jsonl", lines), "--model", "minilm", "--max-length", "32", "--strict");
        Assert.AreEqual(1, result.ExitCode, result.ToString());
        CollectionAssert.AreEqual(new[] { "truncated" }, Kinds(json));
        CollectionAssert.AreEqual(new[] { 13 }, Warning(json, "truncated").GetProperty("lines").EnumerateArray().Select(l => l.GetInt32()).ToArray());
        var lengths = json.GetProperty("tokenLengths")[0];
        // "example number 7" is [CLS] example number 7 [SEP] = 5 tokens; "tokenization" is 2 WordPieces (token ##ization) x 40 + 2.
        Assert.AreEqual((82, 5, 1), (lengths.GetProperty("max").GetInt32(), lengths.GetProperty("median").GetInt32(), lengths.GetProperty("truncated").GetInt32()));
        var bins = lengths.GetProperty("histogram").EnumerateArray().ToList();
        Assert.AreEqual(13, bins.Sum(b => b.GetProperty("count").GetInt32()));
        Assert.AreEqual(12, bins[0].GetProperty("count").GetInt32()); // 1-16 tokens
        Assert.AreEqual(1, bins.Single(b => b.GetProperty("from").GetInt32() == 65).GetProperty("count").GetInt32());
    }

    [TestMethod]
    public void HumanOutputShowsLabelsHistogramAndWarnings()
    {
        var result = CliProcess.Run(["validate", Write("few.jsonl", Balanced(4)), "--model", "minilm"], workingDirectory: dir);
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stdout, "few.jsonl (train): jsonl, text_label, 4 valid examples, 0 errors");
        StringAssert.Contains(result.Stdout, "Token lengths of few.jsonl");
        StringAssert.Contains(result.Stdout, "warning: few.jsonl: few_examples: only 4 examples");
        StringAssert.Contains(result.Stdout, "OK with 1 warnings");
    }

    [TestMethod]
    public void CsvAndConllFilesAreRead()
    {
        File.WriteAllText(Path.Combine(dir, "reviews.csv"), "review,stars\n" + string.Join("\n", Enumerable.Range(0, 12).Select(i => $"\"good, really {i}\",{i % 2 + 4}")) + "\n");
        var (csv, csvJson) = Validate("reviews.csv", "--text-column", "review", "--label-column", "stars", "--strict");
        Assert.AreEqual(0, csv.ExitCode, csv.ToString());
        Assert.AreEqual(12, csvJson.GetProperty("files")[0].GetProperty("examples").GetInt32());

        File.WriteAllText(Path.Combine(dir, "ner.conll"), string.Join("\n\n", Enumerable.Range(0, 12).Select(i => $"Ada{i} B-PER\nLovelace I-PER\nwrote O")) + "\n");
        var (conll, conllJson) = Validate("ner.conll");
        Assert.AreEqual(0, conll.ExitCode, conll.ToString());
        var file = conllJson.GetProperty("files")[0];
        Assert.AreEqual(("conll", "tokens_tags", 12), (file.GetProperty("layout").GetString(), file.GetProperty("format").GetString(), file.GetProperty("examples").GetInt32()));
    }

    [TestMethod]
    public void BadArgumentsAreOneLineErrorsWithExitTwo()
    {
        foreach (var args in new[] { new[] { "validate", "missing.jsonl" }, ["validate", "data.xlsx"], ["validate", "x.jsonl", "--model", "no-such-model"], ["validate", "x.jsonl", "--max-length", "0"], ["validate", "/dev/zero", "--format", "jsonl"] })
        {
            File.WriteAllText(Path.Combine(dir, "x.jsonl"), Line("a", "b"));
            File.WriteAllText(Path.Combine(dir, "data.xlsx"), "");
            var result = CliProcess.Run(args, workingDirectory: dir);
            Assert.AreEqual(2, result.ExitCode, result.ToString());
            var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.HasCount(1, lines, result.ToString());
            StringAssert.StartsWith(lines[0], "error: ");
        }
    }
}
