using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Onnx;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.FineTune;
using OnnxScoringApi;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// samples/OnnxScoringApi hosted in-process on a free 127.0.0.1 port and driven over HTTP: POST /predict returns, per
/// text, the label, probability and scores MLNet.FineTune.Onnx gives for the same model (binary and multiclass heads),
/// and refuses an empty request with 400.
/// </summary>
[TestClass]
[DoNotParallelize]
public class OnnxScoringApiTests
{
    sealed record TopicRow(string Text, string Topic);
    sealed class TextRow { public string Text { get; set; } = ""; }

    [TestMethod]
    public async Task BinarySentimentOverHttpEqualsTheScorer()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(48, seed: 3);
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick).Fit(ml.Data.LoadFromEnumerable(rows));
        var texts = rows.Take(12).Select(r => r.Text).ToList();
        await ServeAndCompare(ml, model, texts, (onnx, scored, i, p) =>
        {
            float probability = scored.GetColumn<float>("Probability").ElementAt(i);
            bool label = scored.GetColumn<bool>("PredictedLabel").ElementAt(i);
            Assert.AreEqual(label ? "True" : "False", p.Label);
            Assert.AreEqual(label ? probability : 1 - probability, p.Probability, 1e-6);
            Assert.AreEqual(scored.GetColumn<float>("Score").ElementAt(i), p.Scores.Single(), 1e-6);
        });
    }

    [TestMethod]
    public async Task MulticlassTopicsOverHttpEqualTheScorer()
    {
        var ml = new MLContext(seed: 1);
        string[] topics = ["sport", "tech", "art"];
        var rows = SyntheticSentiment.Generate(48, seed: 4).Select((r, i) => new TopicRow(r.Text, topics[i % 3])).ToList();
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick with { Heads = [new ClassificationHead("topic", "Topic")] })
            .Fit(ml.Data.LoadFromEnumerable(rows));
        await ServeAndCompare(ml, model, rows.Take(9).Select(r => r.Text).ToList(), (onnx, scored, i, p) =>
        {
            var probabilities = scored.GetColumn<float[]>("Score").ElementAt(i);
            uint key = scored.GetColumn<uint>("PredictedLabel").ElementAt(i);
            Assert.AreEqual(onnx.LabelNames.Values.Single()[(int)key - 1], p.Label);
            Assert.AreEqual(probabilities.Max(), p.Probability, 1e-6);
            CollectionAssert.AreEqual(probabilities, p.Scores);
        });
    }

    /// <summary>
    /// The sample publishes trimmed (its csproj; sizes by bench/onnx-app-size.sh — publishing takes minutes, too long for
    /// a test). What trimming changes at run time is in the runtimeconfig the build writes (copied beside these tests):
    /// reflection-based JSON is off there, so the app and MLNet.FineTune.Onnx must read and write JSON through
    /// source-generated contexts — the HTTP tests above go through exactly those (ScoringApp keeps only ScoringJson in
    /// its resolver chain). Globalization must not be invariant: without ICU, accent stripping in the BERT tokenizer
    /// changes and accented texts score differently from the training side.
    /// </summary>
    [TestMethod]
    public void SampleRuntimeConfigIsTheTrimmedOneWithIcu()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "OnnxScoringApi.runtimeconfig.json");
        Assert.IsTrue(File.Exists(path), $"{path} is missing: the tests reference samples/OnnxScoringApi, whose build writes it.");
        var properties = JsonNode.Parse(File.ReadAllText(path))!["runtimeOptions"]!["configProperties"]!.AsObject();
        Assert.IsFalse(properties["System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault"]?.GetValue<bool>() ?? true,
            "PublishTrimmed is not in effect for samples/OnnxScoringApi (reflection JSON still on).");
        Assert.IsFalse(properties["System.Globalization.Invariant"]?.GetValue<bool>() ?? false, "InvariantGlobalization changes tokenization of accented text.");
    }

    static async Task ServeAndCompare(MLContext ml, FineTuneTransformer model, List<string> texts, Action<OnnxFineTuneTransformer, IDataView, int, Prediction> check)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-api-{Guid.NewGuid():N}.onnx");
        try
        {
            model.ExportOnnx(path);
            await using var app = ScoringApp.Build(path, "http://127.0.0.1:0");
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            StringAssert.StartsWith(address, "http://127.0.0.1:");
            using var http = new HttpClient { BaseAddress = new Uri(address) };

            var response = await http.PostAsJsonAsync("/predict", new { texts });
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
            var predictions = (await response.Content.ReadFromJsonAsync<PredictResponse>())!.Predictions;
            Assert.AreEqual(texts.Count, predictions.Count);

            using var onnx = ml.Model.LoadFineTuneOnnx(path);
            var scored = onnx.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t })));
            for (int i = 0; i < texts.Count; i++) check(onnx, scored, i, predictions[i]);

            var empty = await http.PostAsJsonAsync("/predict", new { texts = Array.Empty<string>() });
            Assert.AreEqual(HttpStatusCode.BadRequest, empty.StatusCode);
            StringAssert.Contains(await empty.Content.ReadAsStringAsync(), "at least one text");
            await app.StopAsync();
        }
        finally { File.Delete(path); }
    }
}
