using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Tests.Generation;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Decoders;

/// <summary>config.json reading (families, refusals by name), Qwen2 biases, tied Llama heads, masks and positions.</summary>
[TestClass]
public class DecoderConfigTests
{
    const string Llama = """{"model_type": "llama", "vocab_size": 40, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 24, "max_position_embeddings": 32, "rope_theta": 500000.0, "eos_token_id": [7, 9]""";

    static DecoderConfig Parse(string json) => DecoderConfig.FromJson(JsonFields.Parse(json, "config.json"));

    [TestMethod]
    public void LlamaFieldsAreRead()
    {
        var c = Parse(Llama + "}");
        Assert.AreEqual(DecoderFamily.Llama, c.Family);
        Assert.AreEqual(2, c.NumKeyValueHeads);
        Assert.AreEqual(500000.0, c.RopeTheta);
        CollectionAssert.AreEqual(new[] { 7, 9 }, c.EosTokenIds.ToArray());
        Assert.IsFalse(c.TieWordEmbeddings);
    }

    [TestMethod]
    [DataRow("{\"model_type\": \"falcon\"}", "model_type 'falcon'")]
    [DataRow(Llama + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}", "rope_scaling")]
    [DataRow("{\"model_type\": \"gpt2\", \"vocab_size\": 10, \"n_embd\": 8, \"n_layer\": 1, \"n_head\": 2, \"n_positions\": 8, \"scale_attn_by_inverse_layer_idx\": true}", "scale_attn_by_inverse_layer_idx")]
    [DataRow("{\"model_type\": \"qwen2\", \"use_sliding_window\": true, \"vocab_size\": 10}", "use_sliding_window")]
    public void UnsupportedFeaturesAreRefusedByName(string json, string named)
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => Parse(json));
        StringAssert.Contains(e.Message, named);
    }

    [TestMethod]
    public void KeyValueHeadsMustDivideQueryHeads()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse(Llama.Replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3") + "}"));
        StringAssert.Contains(e.Message, "num_key_value_heads");
    }

    [TestMethod]
    public void Qwen2HasQkvBiasesButNoOutputBias()
    {
        var config = Parse(Llama.Replace("\"llama\"", "\"qwen2\"") + ", \"tie_word_embeddings\": true}");
        var names = TinyDecoders.Create(config).Module.named_parameters().Select(p => p.name).ToHashSet();
        Assert.IsTrue(names.Contains("model.layers.0.self_attn.q_proj.bias") && names.Contains("model.layers.0.self_attn.v_proj.bias"));
        Assert.IsFalse(names.Contains("model.layers.0.self_attn.o_proj.bias"));
        Assert.IsFalse(names.Contains("lm_head.weight"), "tied head has no matrix of its own");
    }

    [TestMethod]
    public void TiedLlamaHeadIsTheEmbeddingMatrix()
    {
        var model = TinyDecoders.Create(TinyDecoders.LlamaConfig with { TieWordEmbeddings = true });
        using var _ = no_grad();
        using var hidden = randn(1, 3, 16);
        var embeddings = model.Module.named_parameters().Single(p => p.name == "model.embed_tokens.weight").parameter;
        Assert.IsTrue(model.LanguageModelHead(hidden).allclose(hidden.matmul(embeddings.t())));
    }

    [TestMethod]
    [TestCategory("Integration")]
    public void EncoderFoldersAreRefusedNamingTheType()
    {
        var folder = SharedFixtures.HfReference("models/bert-wordpiece");
        var e = Assert.ThrowsExactly<NotSupportedException>(() => PretrainedDecoder.Load(folder));
        StringAssert.Contains(e.Message, "'bert'");
    }

    [TestMethod]
    public void MaskCombinesCausalityPaddingAndSlidingWindow()
    {
        using var mask = tensor(new long[] { 0, 1, 1, 1 }).view(1, 4);
        using var additive = DecoderMasks.Additive(1, 4, 0, mask, 2, ScalarType.Float32, CPU);
        var allowed = additive.eq(0).to_type(ScalarType.Int32).data<int>().ToArray();
        CollectionAssert.AreEqual(new[]
        {
            0, 0, 0, 0, // query 0 is padding: it may see only key 0, which is padding
            0, 1, 0, 0,
            0, 1, 1, 0,
            0, 0, 1, 1, // window 2: query 3 sees keys 2 and 3
        }, allowed);
        using var positions = DecoderMasks.PositionIds(tensor(new long[] { 0, 0, 1, 1, 1 }).view(1, 5));
        CollectionAssert.AreEqual(new long[] { 1, 1, 0, 1, 2 }, positions.data<long>().ToArray());
    }
}
