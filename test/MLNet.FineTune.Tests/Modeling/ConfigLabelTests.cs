using System.Text.Json.Nodes;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Modeling;

/// <summary>
/// transformers drops id2label from config.json when it equals the default two LABEL_i, so 2-label checkpoints state
/// their count as num_labels, _num_labels (transformers 2–3), or only through the classifier weight.
/// </summary>
[TestClass]
public class ConfigLabelTests
{
    static JsonObject TinyJson(Action<JsonObject> edit)
    {
        var json = TinyModels.Bert().ToJson();
        json.Remove("id2label");
        edit(json);
        return json;
    }

    [TestMethod]
    public void NumLabelsWithoutId2LabelNamesLabelsAsTransformers()
    {
        var config = TransformerConfig.FromJson(TinyJson(j => j["num_labels"] = 2));
        CollectionAssert.AreEqual(new[] { "LABEL_0", "LABEL_1" }, config.Labels.ToArray());
    }

    [TestMethod]
    public void LegacyUnderscoreNumLabelsIsRead()
    {
        var config = TransformerConfig.FromJson(TinyJson(j => j["_num_labels"] = 2));
        CollectionAssert.AreEqual(new[] { "LABEL_0", "LABEL_1" }, config.Labels.ToArray());
    }

    [TestMethod]
    public void Id2LabelWinsOverNumLabels()
    {
        var config = TransformerConfig.FromJson(TinyJson(j => { j["num_labels"] = 2; j["id2label"] = new JsonObject { ["0"] = "neg", ["1"] = "pos", ["2"] = "mixed" }; }));
        CollectionAssert.AreEqual(new[] { "neg", "pos", "mixed" }, config.Labels.ToArray());
    }

    [TestMethod]
    public void NegativeNumLabelsNamesTheField()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => TransformerConfig.FromJson(TinyJson(j => j["num_labels"] = -1), "x/config.json"));
        StringAssert.Contains(e.Message, "x/config.json: field 'num_labels' is -1");
    }

    [TestMethod]
    public void LabelCountComesFromTheClassifierWeightWhenConfigStatesNone()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mlnft-labels-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var config = TinyModels.Bert();
            File.WriteAllText(Path.Combine(folder, "config.json"), TinyJson(_ => { }).ToJsonString());
            var encoder = EncoderFactory.Create(config);
            var tensors = encoder.named_parameters().ToDictionary(p => "bert." + p.name, p => (Tensor)p.parameter);
            tensors["classifier.weight"] = zeros(2, config.HiddenSize);
            tensors["classifier.bias"] = zeros(2);
            SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), tensors);
            GC.KeepAlive(encoder); // a collected module's finalizer disposes its parameters, even while they are being written

            var loaded = PretrainedEncoder.Load(folder);
            Assert.AreEqual(0, loaded.Config.Labels.Count);
            Assert.AreEqual(2, loaded.LabelCount);
        }
        finally { Directory.Delete(folder, true); }
    }

    [TestMethod]
    public void RobertaHeadCountsTheOutputProjectionRows()
    {
        var heads = new Dictionary<string, Tensor> { ["classifier.dense.weight"] = zeros(32, 32), ["classifier.out_proj.weight"] = zeros(2, 32) };
        Assert.AreEqual(2, ClassifierShape.LabelCount(heads));
        Assert.IsNull(ClassifierShape.LabelCount(new Dictionary<string, Tensor>()));
    }
}
