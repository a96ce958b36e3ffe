using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Modeling.Onnx;

/// <summary>
/// A folder with only model.onnx and vocab.txt is a base model like a safetensors checkpoint: config synthesized from
/// the graph, identity = the converted weights' hash, and fine-tuning, saving and reloading work end to end.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class OnnxFolderTests
{
    static string folder = "";

    [ClassInitialize]
    public static void WriteFolder(TestContext _)
    {
        folder = Path.Combine(Path.GetTempPath(), "mlnft-onnx-" + Guid.NewGuid().ToString("N"), "all-MiniLM-L6-v2");
        Directory.CreateDirectory(folder);
        PretrainedOnnx.MiniLm.Value.WriteFolder(folder);
    }

    [ClassCleanup]
    public static void DeleteFolder() => Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);

    [TestMethod]
    public void ConfigAndIdentityComeFromTheConvertedWeights()
    {
        var imported = PretrainedOnnx.MiniLm.Value.Imported;
        static string Json(TransformerConfig c) => c.ToJson().ToJsonString();
        Assert.AreEqual(Json(imported.Config), Json(CheckpointFolder.ReadConfig(folder)));
        var sha = CheckpointFolder.WeightsSha256(folder);
        Assert.AreEqual(imported.Sha256, sha);
        Assert.AreNotEqual(Convert.ToHexStringLower(SHA256.HashData(PretrainedOnnx.MiniLm.Value.OnnxBytes)), sha, "not the hash of the .onnx file");

        var package = ModelPackage.FromCheckpoint(folder, dropout: 0.0);
        Assert.AreEqual(("all-MiniLM-L6-v2", sha), (package.BaseName, package.BaseWeightsSha256));
        Assert.AreEqual(0.0, package.Config.HiddenDropout);
        var savedConfig = TransformerConfig.FromJson(System.Text.Json.Nodes.JsonNode.Parse(package.Files["config.json"])!.AsObject());
        Assert.AreEqual(Json(imported.Config), Json(savedConfig), "the synthesized config.json (before the dropout override) travels with saved models");
        CollectionAssert.AreEquivalent(new[] { "config.json", "vocab.txt" }, package.Files.Keys.ToList());
    }

    [TestMethod]
    public void ConfigJsonThatContradictsTheGraphIsRefused()
    {
        var other = Path.Combine(Path.GetDirectoryName(folder)!, "contradicted");
        Directory.CreateDirectory(other);
        File.Copy(Path.Combine(folder, "model.onnx"), Path.Combine(other, "model.onnx"));
        File.Copy(Path.Combine(folder, "vocab.txt"), Path.Combine(other, "vocab.txt"));
        File.WriteAllText(Path.Combine(other, "config.json"), (PretrainedOnnx.MiniLm.Value.Imported.Config with { NumHeads = 6, HiddenAct = "gelu_new" }).ToJson().ToJsonString());
        var e = Assert.ThrowsExactly<CheckpointException>(() => ModelPackage.FromCheckpoint(other));
        StringAssert.Contains(e.Message, "num_attention_heads: graph 12, config.json 6; hidden_act: graph gelu, config.json gelu_new");
        File.WriteAllText(Path.Combine(other, "config.json"), (PretrainedOnnx.MiniLm.Value.Imported.Config with { HiddenDropout = 0.2 }).ToJson().ToJsonString());
        Assert.AreEqual(0.2, CheckpointFolder.ReadConfig(other).HiddenDropout, "a config.json that agrees with the graph is used (dropout, labels…)");
    }

    [TestMethod]
    public void BaseModelFolderWithOnnxFineTunesScoresSavesAndReloadsOnItsHash()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(24, seed: 3));
        var options = new FineTuneOptions
        {
            BaseModelFolder = folder, MaxSequenceLength = 32, Peft = new PeftOptions { Method = PeftMethod.Lora }, WeightsInZip = ModelWeights.TrainableOnly,
            Training = new TrainingOptions { MaxSteps = 3, BatchSize = 8, LearningRate = 1e-3, LoggingSteps = 1000 },
        };
        var model = ml.Transforms.FineTune(options).Fit(data);
        Assert.AreEqual(3, model.History.Steps.Count);
        Assert.AreEqual(CheckpointFolder.WeightsSha256(folder), model.Card.BaseWeightsSha256);
        var scores = model.Transform(data).GetColumn<float>("Score").ToArray();
        Assert.AreEqual(24, scores.Length);
        Assert.IsTrue(scores.All(float.IsFinite));

        var zip = Path.Combine(Path.GetDirectoryName(folder)!, "lora.zip");
        ml.Model.Save(model, data.Schema, zip);
        FineTuneModels.RegisterBaseModelFolder(folder);
        try
        {
            var loaded = new MLContext().Model.Load(zip, out _);
            var again = loaded.Transform(data).GetColumn<float>("Score").ToArray();
            for (int i = 0; i < scores.Length; i++) Assert.AreEqual(scores[i], again[i], 1e-5);
        }
        finally { FineTuneModels.UnregisterBaseModelFolder(folder); }
    }
}
