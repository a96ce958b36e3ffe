using System.Text;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Modeling;

[TestClass]
public class CheckpointLoadingTests
{
    string folder = "";

    [TestInitialize] public void Init() => Directory.CreateDirectory(folder = Path.Combine(Path.GetTempPath(), "mlnft-ckpt-" + Guid.NewGuid().ToString("N")));
    [TestCleanup] public void Cleanup() => Directory.Delete(folder, true);

    string WriteTinyCheckpoint(string modelType = "bert", string prefix = "")
    {
        var config = TinyModels.ByType(modelType);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson().ToJsonString());
        var encoder = EncoderFactory.Create(config);
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"),
            encoder.named_parameters().ToDictionary(p => prefix + p.name, p => (Tensor)p.parameter));
        GC.KeepAlive(encoder); // a collected module's finalizer disposes its parameters, even while they are being written
        return folder;
    }

    [TestMethod]
    public void SafetensorsRoundTripsAndLoadsWithTaskPrefix()
    {
        WriteTinyCheckpoint("bert", "bert.");
        var loaded = PretrainedEncoder.Load(folder);
        Assert.AreEqual(0, loaded.Report.Missing.Count);
        Assert.AreEqual(0, loaded.Report.Unexpected.Count);
        var again = SafetensorsReader.Open(Path.Combine(folder, "model.safetensors"));
        var original = again.ReadTensor("bert.encoder.layer.1.output.dense.weight");
        var inModel = loaded.Encoder.named_parameters().First(p => p.name == "encoder.layer.1.output.dense.weight").parameter;
        Assert.AreEqual(0.0, HfReference.MaxAbsDiff(inModel, original));
    }

    [TestMethod]
    public void OldLayerNormGammaBetaNamesLoad()
    {
        WriteTinyCheckpoint();
        var path = Path.Combine(folder, "model.safetensors");
        var tensors = SafetensorsReader.Open(path).ReadAll();
        var renamed = tensors.ToDictionary(kv => kv.Key.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta"), kv => kv.Value);
        SafetensorsWriter.Save(path, renamed);
        Assert.AreEqual(0, PretrainedEncoder.Load(folder).Report.Missing.Count);
    }

    [TestMethod]
    public void TruncatedFileFailsWithSpecificMessage()
    {
        WriteTinyCheckpoint();
        var path = Path.Combine(folder, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.ThrowsExactly<CheckpointException>(() => PretrainedEncoder.Load(folder));
        StringAssert.Contains(e.Message, "fall outside the");
        StringAssert.Contains(e.Message, "truncated or corrupt");
        File.WriteAllBytes(path, bytes[..5]);
        StringAssert.Contains(Assert.ThrowsExactly<CheckpointException>(() => PretrainedEncoder.Load(folder)).Message, "truncated safetensors file (5 bytes");
    }

    [TestMethod]
    public void HeaderBombIsRefusedBeforeAllocation()
    {
        WriteTinyCheckpoint();
        var path = Path.Combine(folder, "model.safetensors");
        using (var f = File.OpenWrite(path)) f.Write(BitConverter.GetBytes(ulong.MaxValue / 2));
        var e = Assert.ThrowsExactly<CheckpointException>(() => PretrainedEncoder.Load(folder));
        StringAssert.Contains(e.Message, "over the 100,000,000-byte limit");
    }

    [TestMethod]
    public void DtypeShapeMismatchIsReported()
    {
        var path = Path.Combine(folder, "model.safetensors");
        var header = Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}");
        using (var f = File.Create(path)) { f.Write(BitConverter.GetBytes((ulong)header.Length)); f.Write(header); f.Write(new byte[16]); }
        var e = Assert.ThrowsExactly<CheckpointException>(() => SafetensorsReader.Open(path));
        StringAssert.Contains(e.Message, "tensor 'w' is F16 [2,2] = 8 bytes, but its data_offsets span 16 bytes");
    }

    [TestMethod]
    public void WrongShapeAgainstConfigNamesTheKey()
    {
        WriteTinyCheckpoint();
        File.WriteAllText(Path.Combine(folder, "config.json"), (TinyModels.Bert() with { IntermediateSize = 40 }).ToJson().ToJsonString());
        var e = Assert.ThrowsExactly<CheckpointException>(() => PretrainedEncoder.Load(folder));
        StringAssert.Contains(e.Message, "shape mismatch for 'encoder.layer.0.intermediate.dense.weight': the checkpoint has [37,32], the model built from config.json expects [40,32]");
    }

    [TestMethod]
    public void MissingKeyIsListed()
    {
        WriteTinyCheckpoint();
        var path = Path.Combine(folder, "model.safetensors");
        var tensors = SafetensorsReader.Open(path).ReadAll();
        tensors.Remove("encoder.layer.1.attention.self.key.bias");
        SafetensorsWriter.Save(path, tensors);
        var e = Assert.ThrowsExactly<CheckpointException>(() => PretrainedEncoder.Load(folder));
        StringAssert.Contains(e.Message, "1 weight(s) the model needs are missing from the checkpoint: encoder.layer.1.attention.self.key.bias");
    }

    [TestMethod]
    public void PickleCheckpointIsRefusedWithConversionAdvice()
    {
        File.WriteAllText(Path.Combine(folder, "config.json"), TinyModels.Bert().ToJson().ToJsonString());
        File.WriteAllBytes(Path.Combine(folder, "pytorch_model.bin"), new byte[] { 0x80, 0x02 });
        var e = Assert.ThrowsExactly<CheckpointException>(() => PretrainedEncoder.Load(folder));
        StringAssert.Contains(e.Message, "is a Python pickle");
        StringAssert.Contains(e.Message, "unpickling can run arbitrary code");
        StringAssert.Contains(e.Message, "safe_serialization=True");
    }

    [TestMethod]
    [TestCategory("Integration")]
    public void ShardedCheckpointReadsLikeSingleFile()
    {
        var single = CheckpointFolder.ReadStateDict(SharedFixtures.HfReference("models/gpt2-bpe"));
        var sharded = CheckpointFolder.ReadStateDict(SharedFixtures.HfReference("models/gpt2-bpe-sharded"));
        CollectionAssert.AreEquivalent(single.Keys.ToArray(), sharded.Keys.ToArray());
        foreach (var key in single.Keys) Assert.AreEqual(0.0, HfReference.MaxAbsDiff(sharded[key], single[key]), key);
    }

    [TestMethod]
    public void ShardIndexPointingOutsideTheFolderIsRefused()
    {
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"../../etc/passwd\"}}");
        var e = Assert.ThrowsExactly<CheckpointException>(() => CheckpointFolder.WeightFiles(folder));
        StringAssert.Contains(e.Message, "points outside the checkpoint folder");
    }
}
