using MLNet.FineTune.Modeling.Bert;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Onnx;

namespace MLNet.FineTune.Tests.Modeling.Onnx;

/// <summary>
/// What the import recovers from the two real graphs (config, names, layouts), and that roles come from structure:
/// renamed or reordered anonymous weights map to the same parameters, and names that contradict the structure are refused.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class OnnxStructureTests
{
    [TestMethod]
    [DataRow("MiniLM", 13L, "pytorch 1.10")]
    [DataRow("ArcticXs", 11L, "pytorch 2.2.1")]
    public void ConfigAndNamesAreRecoveredFromTheGraph(string name, long opset, string producer)
    {
        var imported = PretrainedOnnx.Get(name).Imported;
        var c = imported.Config;
        Assert.AreEqual(("bert", 6, 384, 12, 1536, "gelu"), (c.ModelType, c.NumLayers, c.HiddenSize, c.NumHeads, c.IntermediateSize, c.HiddenAct));
        Assert.AreEqual((30522, 512, 2, 1e-12), (c.VocabSize, c.MaxPositionEmbeddings, c.TypeVocabSize, c.LayerNormEps));
        Assert.AreEqual((opset, producer), (imported.Opset, imported.Producer));

        bool pooler = name == "MiniLM";
        using var model = new BertModel(c, addPooler: pooler);
        var expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), imported.Weights.Keys.ToList(), "exactly the Hugging Face names BertModel loads");
        foreach (var (key, shape) in expected) CollectionAssert.AreEqual(shape, imported.Weights[key].Shape, key);
        Assert.AreEqual(6 * 16 + 5 + (pooler ? 2 : 0), imported.Weights.Count);
    }

    [TestMethod]
    public void LinearWeightsAreTransposedFromMatMulLayoutAndGemmWithTransBIsNot()
    {
        var miniLm = PretrainedOnnx.MiniLm.Value;
        // MatMul_34(embeddings output, 927) → Add(encoder.layer.0.attention.self.query.bias, ·): 927 is the query weight, [in, out].
        var stored = miniLm.Model.Graph.Initializers.Single(t => t.Name == "927");
        var values = stored.Floats();
        var query = miniLm.Imported.Weights["encoder.layer.0.attention.self.query.weight"];
        CollectionAssert.AreEqual(new long[] { 384, 384 }, query.Shape);
        for (int i = 0; i < 384; i += 37)
            for (int j = 0; j < 384; j += 41)
                Assert.AreEqual(values[i * 384 + j], query.Values[j * 384 + i]);
        // Gemm(transB=1) already holds [out, in], as torch does.
        var pooler = miniLm.Model.Graph.Initializers.Single(t => t.Name == "pooler.dense.weight").Floats();
        CollectionAssert.AreEqual(pooler, miniLm.Imported.Weights["pooler.dense.weight"].Values);
    }

    [TestMethod]
    public void RenamedAndReorderedAnonymousWeightsMapToTheSameParameters()
    {
        var miniLm = PretrainedOnnx.MiniLm.Value;
        var anonymous = miniLm.Model.Graph.Initializers.Where(t => t.DataType == OnnxDataType.Float && char.IsDigit(t.Name[0])).Select(t => t.Name).ToList();
        Assert.AreEqual(36, anonymous.Count, "the 36 linear weights of MiniLM's export are anonymous (927…1004)");
        // Reverse the names (the first layer's query weight is now called what the last output.dense was) and the initializer order.
        var renames = anonymous.Select((n, i) => (n, To: "w" + anonymous[anonymous.Count - 1 - i])).ToDictionary(p => p.n, p => p.To);
        var renamed = miniLm.Model.Rename(renames);
        renamed = renamed with { Graph = renamed.Graph with { Initializers = renamed.Graph.Initializers.Reverse().ToList() } };
        var again = OnnxEncoderImporter.Import(renamed, "renamed");
        foreach (var (key, weight) in miniLm.Imported.Weights)
            CollectionAssert.AreEqual(weight.Values, again.Weights[key].Values, key);
        Assert.AreEqual(miniLm.Imported.Sha256, again.Sha256, "the identity hashes the weights, not their names or order in the file");
    }

    [TestMethod]
    public void SwappedBiasNamesAreRefusedNamingBoth()
    {
        const string query = "encoder.layer.0.attention.self.query.bias", key = "encoder.layer.0.attention.self.key.bias";
        var swapped = PretrainedOnnx.MiniLm.Value.Model.Rename(new Dictionary<string, string> { [query] = key, [key] = query });
        var e = Assert.ThrowsExactly<CheckpointException>(() => OnnxEncoderImporter.Import(swapped, "swapped.onnx"));
        StringAssert.Contains(e.Message, $"swapped.onnx: initializer '{key}' is named like the Hugging Face parameter '{key}', but the graph uses it as {query}");
        StringAssert.Contains(e.Message, "(the bias of the projection that feeds the left side of QKᵀ, Add 'Add_35')");
        StringAssert.Contains(e.Message, "The names and the structure disagree");
    }

    [TestMethod]
    public void MisleadingHuggingFaceNamesOnAnonymousWeightsAreRefused()
    {
        // onnx::MatMul_788 is layer 0's query weight, _789 its key weight (the export's node names say so too); the file now claims the opposite.
        var lying = PretrainedOnnx.ArcticXs.Value.Model.Rename(new Dictionary<string, string>
        {
            ["onnx::MatMul_788"] = "encoder.layer.0.attention.self.key.weight", ["onnx::MatMul_789"] = "encoder.layer.0.attention.self.query.weight",
        });
        var e = Assert.ThrowsExactly<CheckpointException>(() => OnnxEncoderImporter.Import(lying, "lying.onnx"));
        StringAssert.Contains(e.Message, "'encoder.layer.0.attention.self.key.weight' is named like the Hugging Face parameter 'encoder.layer.0.attention.self.key.weight', " +
            "but the graph uses it as encoder.layer.0.attention.self.query.weight");
    }

    [TestMethod]
    public void LayerNormalizationNodesOfOpset17AreRecognizedWithTheirEpsilon()
    {
        // Fold each decomposed LayerNorm of ArcticXs (ReduceMean … Mul(weight) → Add(bias)) into one LayerNormalization
        // node, as torch exports nn.LayerNorm at opset 17.
        var model = PretrainedOnnx.ArcticXs.Value.Model;
        var producers = model.Graph.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        var removed = new HashSet<OnnxNode>();
        var fused = new List<OnnxNode>();
        foreach (var add in model.Graph.Nodes.Where(n => n.OpType == "Add" && n.Inputs[1].EndsWith("LayerNorm.bias", StringComparison.Ordinal)))
        {
            var mul = producers[add.Inputs[0]];
            var div = producers[mul.Inputs[0]];
            var sub = producers[div.Inputs[0]];
            var sqrt = producers[div.Inputs[1]];
            var addEps = producers[sqrt.Inputs[0]];
            var variance = producers[addEps.Inputs[0]];
            var pow = producers[variance.Inputs[0]];
            removed.UnionWith([add, mul, div, sub, sqrt, addEps, variance, pow, producers[sub.Inputs[1]]]);
            fused.Add(OnnxEdits.Node("LayerNormalization", add.Name + "_fused", [sub.Inputs[0], mul.Inputs[1], add.Inputs[1]], [add.Outputs[0]],
                new OnnxAttribute("axis", 2, 0, -1, [], [], null), new OnnxAttribute("epsilon", 1, 1e-12f, 0, [], [], null)));
        }
        Assert.AreEqual(13, fused.Count);
        var opset17 = model.EditNodes(n => removed.Contains(n) ? null : n).AddNodes([.. fused]) with { Opsets = new Dictionary<string, long> { [""] = 17 } };
        var imported = OnnxEncoderImporter.Import(opset17, "opset17");
        Assert.AreEqual(1e-12, imported.Config.LayerNormEps);
        Assert.AreEqual(PretrainedOnnx.ArcticXs.Value.Imported.Sha256, imported.Sha256);
    }

    [TestMethod]
    public void ReluBetweenTheFeedForwardProjectionsIsRecognized()
    {
        // Replace every exact-GELU subgraph x·(1 + erf(x/√2))·0.5 of MiniLM with Relu(x).
        var model = PretrainedOnnx.MiniLm.Value.Model;
        var producers = model.Graph.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        var readers = model.Graph.Nodes.SelectMany(n => n.Inputs.Select(i => (i, n))).ToLookup(p => p.i, p => p.n);
        var removed = new HashSet<OnnxNode>();
        var relus = new List<OnnxNode>();
        foreach (var erf in model.Graph.Nodes.Where(n => n.OpType == "Erf"))
        {
            var div = producers[erf.Inputs[0]];
            var plusOne = readers[erf.Outputs[0]].Single();
            var times = readers[plusOne.Outputs[0]].Single();
            var half = readers[times.Outputs[0]].Single();
            removed.UnionWith([div, erf, plusOne, times, half]);
            relus.Add(OnnxEdits.Node("Relu", erf.Name + "_relu", [div.Inputs[0]], [half.Outputs[0]]));
        }
        Assert.AreEqual(6, relus.Count);
        var imported = OnnxEncoderImporter.Import(model.EditNodes(n => removed.Contains(n) ? null : n).AddNodes([.. relus]), "relu");
        Assert.AreEqual("relu", imported.Config.HiddenAct);
        Assert.AreEqual(PretrainedOnnx.MiniLm.Value.Imported.Sha256, imported.Sha256);
    }

    [TestMethod]
    public void TaskPrefixAndOldLayerNormNamesAreCrossCheckedToo()
    {
        var model = PretrainedOnnx.ArcticXs.Value.Model;
        var renamed = model.Rename(model.Graph.Initializers.Where(t => t.Name.StartsWith("e", StringComparison.Ordinal))
            .ToDictionary(t => t.Name, t => "bert." + t.Name.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta")));
        Assert.AreEqual(PretrainedOnnx.ArcticXs.Value.Imported.Sha256, OnnxEncoderImporter.Import(renamed, "prefixed").Sha256);
    }
}
