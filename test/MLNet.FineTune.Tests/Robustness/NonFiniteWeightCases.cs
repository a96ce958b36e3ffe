using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using static MLNet.FineTune.Tests.Robustness.UntrustedFileFixtures;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 5 (load time): NaN and ±∞ in checkpoint weights, sharded checkpoints, LoRA and prompt-tuning
/// adapters and model zips. A single one makes every output NaN, silently; each must be refused on load, naming the
/// file and the tensor.
/// </summary>
internal sealed class NonFiniteWeightCases : ICorpusSource
{
    const string Category = "nonfinite-weights";

    static readonly (string Name, float Value)[] Values = [("nan", float.NaN), ("+inf", float.PositiveInfinity), ("-inf", float.NegativeInfinity)];

    /// <summary>Rewrites tensor <paramref name="name"/> of a safetensors file with one value replaced.</summary>
    static void Poison(string path, string name, float value, int index = 0)
    {
        var reader = SafetensorsReader.Open(path);
        var tensors = new Dictionary<string, Tensor>();
        var bytes = File.ReadAllBytes(path);
        long dataStart = 8 + (long)BitConverter.ToUInt64(bytes);
        foreach (var key in reader.Entries.Keys)
        {
            var shape = reader.Entries[key].Shape;
            var e = reader.Entries[key];
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan((int)(dataStart + e.Begin), (int)(e.End - e.Begin))).ToArray();
            if (key == name) values[index % values.Length] = value;
            tensors[key] = tensor(values, shape);
        }
        SafetensorsWriter.Save(path, tensors, reader.Metadata.Where(kv => kv.Key != "format").ToDictionary());
        foreach (var t in tensors.Values) t.Dispose();
    }

    public IEnumerable<CorpusCase> Cases() => UntrustedFileFixtures.Disposing(AllCases());

    static IEnumerable<CorpusCase> AllCases()
    {
        string[] tensors = ["embeddings.word_embeddings.weight", "embeddings.LayerNorm.weight", "encoder.layer.1.attention.self.query.weight", "pooler.dense.bias"];
        foreach (var tensorName in tensors)
            foreach (var (valueName, value) in Values)
                yield return CorpusCase.Refused(Category, $"checkpoint-{tensorName}-{valueName}", folder =>
                {
                    CorpusFixtures.TinyBert(folder);
                    Poison(Path.Combine(folder, "model.safetensors"), tensorName, value, index: 17);
                    PretrainedEncoder.Load(folder);
                }, "model.safetensors", tensorName, "non-finite");

        yield return CorpusCase.Refused(Category, "checkpoint-nan-fails-fit", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            Poison(Path.Combine(folder, "model.safetensors"), "encoder.layer.0.output.dense.weight", float.NaN);
            CorpusFixtures.Fit(CorpusFixtures.OnCheckpoint(folder), rows: 8);
        }, "model.safetensors", "encoder.layer.0.output.dense.weight");

        foreach (var (dtype, bits, label) in new[] { ("F16", (ushort)0x7E00, "nan"), ("F16", (ushort)0x7C00, "inf"), ("BF16", (ushort)0x7FC0, "nan"), ("BF16", (ushort)0xFF80, "-inf") })
            yield return CorpusCase.Refused(Category, $"half-precision-{dtype}-{label}", folder =>
            {
                var path = Path.Combine(folder, "model.safetensors");
                byte[] data = [.. BitConverter.GetBytes((ushort)0x3C00), .. BitConverter.GetBytes(bits)];
                WriteSafetensors(path, $"{{\"w\": {{\"dtype\": \"{dtype}\", \"shape\": [2], \"data_offsets\": [0, 4]}}}}", data);
                SafetensorsReader.Open(path).ReadAll();
            }, "model.safetensors", "'w'", "non-finite");
        yield return CorpusCase.Refused(Category, "f64-overflows-float32-to-inf", folder =>
        {
            var path = Path.Combine(folder, "model.safetensors");
            WriteSafetensors(path, "{\"w\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", BitConverter.GetBytes(1e300));
            SafetensorsReader.Open(path).ReadAll();
        }, "model.safetensors", "'w'", "non-finite");

        yield return CorpusCase.Refused(Category, "sharded-checkpoint-nan-in-second-shard", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            var single = Path.Combine(folder, "model.safetensors");
            var reader = SafetensorsReader.Open(single);
            var all = reader.ReadAll();
            var names = all.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
            var map = new System.Text.Json.Nodes.JsonObject();
            for (int shard = 0; shard < 2; shard++)
            {
                var part = names.Where((_, i) => i % 2 == shard).ToList();
                SafetensorsWriter.Save(Path.Combine(folder, $"model-0000{shard + 1}-of-00002.safetensors"), part.ToDictionary(n => n, n => all[n]));
                foreach (var n in part) map[n] = $"model-0000{shard + 1}-of-00002.safetensors";
            }
            File.Delete(single);
            File.WriteAllText(Path.Combine(folder, CheckpointFolder.IndexFile), new System.Text.Json.Nodes.JsonObject { ["weight_map"] = map }.ToJsonString());
            Poison(Path.Combine(folder, "model-00002-of-00002.safetensors"), names[1], float.PositiveInfinity);
            PretrainedEncoder.Load(folder);
        }, "model-00002-of-00002.safetensors", "non-finite");

        foreach (var (valueName, value) in Values)
            yield return CorpusCase.Refused(Category, $"lora-adapter-{valueName}", folder =>
            {
                LoraAdapter(folder);
                var path = Path.Combine(folder, LoraAdapterFile.WeightsFile);
                var name = SafetensorsReader.Open(path).Entries.Keys.First(k => k.Contains("lora_B", StringComparison.Ordinal));
                Poison(path, name, value);
                LoadLora(folder);
            }, "adapter_model.safetensors", "lora_B", "non-finite");
        foreach (var (valueName, value) in Values)
            yield return CorpusCase.Refused(Category, $"prompt-adapter-{valueName}", folder =>
            {
                PromptAdapter(folder);
                Poison(Path.Combine(folder, PromptTuningAdapterFile.WeightsFile), PromptTuningAdapterFile.PromptKey, value, index: 33);
                PromptTuningAdapterFile.Load(folder);
            }, "adapter_model.safetensors", PromptTuningAdapterFile.PromptKey, "non-finite");

        foreach (var (valueName, value) in Values)
            yield return CorpusCase.Refused(Category, $"model-zip-weights-{valueName}", folder =>
            {
                var weights = Path.Combine(folder, "weights.safetensors");
                File.WriteAllBytes(weights, Entry(TinyZip, "Payload/weights/model.safetensors"));
                var name = SafetensorsReader.Open(weights).Entries.Keys.First(k => k.EndsWith("word_embeddings.weight", StringComparison.Ordinal));
                Poison(weights, name, value);
                LoadZip(PayloadEdits.Replace(TinyZip, "weights/model.safetensors", File.ReadAllBytes(weights)), folder);
            }, "weights/model.safetensors", "word_embeddings", "non-finite");

        yield return CorpusCase.Accepted(Category, "extreme-but-finite-weights-load", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            Poison(Path.Combine(folder, "model.safetensors"), "embeddings.word_embeddings.weight", float.MaxValue, index: 5);
            Poison(Path.Combine(folder, "model.safetensors"), "embeddings.word_embeddings.weight", float.Epsilon, index: 6);
            var loaded = PretrainedEncoder.Load(folder);
            var word = loaded.Encoder.named_parameters().First(p => p.name.EndsWith("word_embeddings.weight", StringComparison.Ordinal)).parameter;
            Assert.AreEqual(float.MaxValue, word.flatten()[5].item<float>());
        });
    }
}
