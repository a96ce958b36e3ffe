using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace MLNet.FineTune.Tests.Cli;

[TestClass]
public sealed class ExportCommandTests : CliTest
{
    sealed class Row { public string Text { get; set; } = ""; }

    [TestMethod]
    public void HfExportIsAHuggingFaceFolderWhoseEncoderEqualsTheFineTunedOne()
    {
        var (_, output, _) = TrainCliFixture.Shared;
        var hf = Path.Combine(TrainCliFixture.NewFolder("hf"), "hf");
        var result = CliProcess.Run("export", "--model", Path.Combine(output, "model.zip"), "--format", "hf", "--output", hf, "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var files = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()).ToList();
        CollectionAssert.IsSubsetOf(new[] { "config.json", "model.safetensors", "vocab.txt" }, files);
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(hf, "config.json"))).RootElement;
        Assert.AreEqual("BertForSequenceClassification", config.GetProperty("architectures")[0].GetString());
        Assert.AreEqual("neg", config.GetProperty("id2label").GetProperty("0").GetString());
        Assert.AreEqual(1, config.GetProperty("label2id").GetProperty("pos").GetInt32());

        // Loadable as a checkpoint folder: its encoder embeds exactly as the fine-tuned model's own encoder.
        var ml = new MLContext(seed: 1);
        var model = (FineTuneTransformer)ml.Model.LoadChecked(Path.Combine(output, "model.zip"), out _);
        var rows = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "the film was good" }, new Row { Text = "dull" } });
        float[][] Embed(TextEmbeddingOptions o) => ml.Transforms.TextEmbedding(o).Fit(rows).Transform(rows).GetColumn<float[]>("Embedding").ToArray();
        var fromFolder = Embed(new TextEmbeddingOptions { BaseModelFolder = hf, Pooling = MLNet.FineTune.Embeddings.EmbeddingPooling.Mean });
        var fromModel = Embed(new TextEmbeddingOptions { FineTunedModel = model, Pooling = MLNet.FineTune.Embeddings.EmbeddingPooling.Mean });
        for (int r = 0; r < 2; r++) CollectionAssert.AreEqual(fromModel[r], fromFolder[r]);
    }

    [TestMethod]
    [DataRow(null, "Standard", false)]
    [DataRow("fused", "OnnxRuntimeFused", true)]
    public void OnnxExportWritesAModelOnnxRuntimeLoads(string? operators, string expected, bool fused)
    {
        var (_, output, _) = TrainCliFixture.Shared;
        var folder = TrainCliFixture.NewFolder("onnx");
        string[] args = ["export", "--model", Path.Combine(output, "model.zip"), "--format", "onnx", "--output", folder, "--json"];
        var result = CliProcess.Run(operators is null ? args : [.. args, "--onnx-operators", operators]);
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var path = Path.Combine(folder, "model.onnx");
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.AreEqual(path, json.GetProperty("output").GetString());
        Assert.AreEqual(expected, json.GetProperty("onnx_operators").GetString());
        using var session = new InferenceSession(path);
        CollectionAssert.IsSubsetOf(new[] { "input_ids", "attention_mask" }, session.InputMetadata.Keys.ToList());
        CollectionAssert.Contains(session.OutputMetadata.Keys.ToList(), "Score");
        // Fused: every layer's attention is the com.microsoft Attention, none is left as the standard Softmax pattern.
        var nodes = MLNet.FineTune.Modeling.Onnx.OnnxReader.Read(File.ReadAllBytes(path), path).Graph.Nodes;
        Assert.AreEqual(fused, nodes.Any(n => n.OpType == "Attention" && n.Domain == "com.microsoft"), "fused Attention nodes");
        Assert.AreEqual(!fused, nodes.Any(n => n.OpType == "Softmax" && n.Name.Contains("/attention/")), "standard attention nodes");
    }

    [TestMethod]
    public void OnnxOperatorsIsCheckedBeforeAnythingIsWritten()
    {
        var (_, output, _) = TrainCliFixture.Shared;
        var folder = TrainCliFixture.NewFolder("onnx-ops");
        var wrong = CliProcess.Run("export", "--model", Path.Combine(output, "model.zip"), "--format", "onnx", "--output", folder, "--onnx-operators", "turbo");
        Assert.AreEqual(2, wrong.ExitCode, wrong.ToString());
        StringAssert.Contains(wrong.ToString(), "use standard or fused");
        var notOnnx = CliProcess.Run("export", "--model", Path.Combine(output, "model.zip"), "--format", "hf", "--output", folder, "--onnx-operators", "fused");
        Assert.AreEqual(2, notOnnx.ExitCode, notOnnx.ToString());
        StringAssert.Contains(notOnnx.ToString(), "--onnx-operators applies to --format onnx");
        Assert.IsFalse(File.Exists(Path.Combine(folder, "model.onnx")));
    }

    [TestMethod]
    public void LoraRunWritesItsAdapterAndExportsItAsPeftOrMerged()
    {
        var (folder, _, _) = TrainCliFixture.Shared;
        var run = Path.Combine(TrainCliFixture.NewFolder("lora"), "run");
        var train = CliProcess.Run("train", "--data", Path.Combine(folder, "train.jsonl"), "--peft", "lora", "--epochs", "1", "--output", run, "--json");
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(run, "adapter", "adapter_config.json")), train.ToString());
        Assert.AreEqual(5e-4, JsonDocument.Parse(train.Stdout).RootElement.GetProperty("config").GetProperty("learning_rate").GetDouble(), "auto rate for LoRA");

        var peft = Path.Combine(run, "exported-adapter");
        var export = CliProcess.Run("export", "--model", Path.Combine(run, "model.zip"), "--format", "peft", "--output", peft);
        Assert.AreEqual(0, export.ExitCode, export.ToString());
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(run, "adapter", "adapter_model.safetensors")), File.ReadAllBytes(Path.Combine(peft, "adapter_model.safetensors")));

        var hf = Path.Combine(run, "merged");
        var merged = CliProcess.Run("export", "--model", Path.Combine(run, "model.zip"), "--format", "hf", "--output", hf);
        Assert.AreEqual(0, merged.ExitCode, merged.ToString());
        var header = SafetensorsKeys(Path.Combine(hf, "model.safetensors"));
        Assert.IsFalse(header.Any(k => k.Contains("lora_") || k.Contains("base_layer")), string.Join(", ", header));
        CollectionAssert.Contains(header, "bert.encoder.layer.0.attention.self.query.weight");
        CollectionAssert.Contains(header, "classifier.weight");
    }

    [TestMethod]
    public void PeftExportOfAFullyFineTunedModelIsRefusedClearly()
    {
        var (_, output, _) = TrainCliFixture.Shared;
        var result = CliProcess.Run("export", "--model", Path.Combine(output, "model.zip"), "--format", "peft", "--output", TrainCliFixture.NewFolder("peft-full"));
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "trained with Full; a PEFT adapter folder exists for lora and prompt tuning");
    }

    static List<string> SafetensorsKeys(string path)
    {
        using var file = File.OpenRead(path);
        var length = new byte[8];
        file.ReadExactly(length);
        var header = new byte[BitConverter.ToInt64(length)];
        file.ReadExactly(header);
        return JsonDocument.Parse(header).RootElement.EnumerateObject().Select(p => p.Name).Where(n => n != "__metadata__").ToList();
    }
}
