using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Onnx;

namespace OnnxScoringApi;

/// <summary>POST /predict's body: the texts to score.</summary>
public sealed record PredictRequest(IReadOnlyList<string>? Texts);

/// <summary>One text's prediction: the label name, the probability of that label, and the model's Score column (binary: the logit margin; multiclass: every class probability).</summary>
public sealed record Prediction(string Label, float Probability, float[] Scores);

public sealed record PredictResponse(IReadOnlyList<Prediction> Predictions);

/// <summary>GET /: which model is served and its columns.</summary>
public sealed record ModelInfo(string Model, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

/// <summary>A refused request's body.</summary>
public sealed record ErrorResponse(string Error);

/// <summary>
/// Source-generated JSON for the request and response types: the published app is trimmed (see the csproj), and trimmed
/// apps turn reflection-based System.Text.Json off, so every type the API reads or writes is listed here.
/// </summary>
[JsonSerializable(typeof(PredictRequest))]
[JsonSerializable(typeof(PredictResponse))]
[JsonSerializable(typeof(ModelInfo))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
public sealed partial class ScoringJson : JsonSerializerContext;

/// <summary>
/// The web app, built apart from Program so that a test can host it in-process on a free port: the model is loaded once
/// and shared by all requests; each request is one batched ONNX Runtime call (ONNX Runtime sessions are thread-safe).
/// </summary>
public static class ScoringApp
{
    /// <summary>Most texts one request may carry.</summary>
    public const int MaxTexts = 256;

    /// <param name="modelPath">A classification model written by FineTuneTransformer.ExportOnnx.</param>
    /// <param name="url">Where to listen, e.g. http://127.0.0.1:5088 (port 0: any free port).</param>
    public static WebApplication Build(string modelPath, string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Only the source-generated types, in-process too (tests host the app in a process where reflection JSON is on),
        // so a type missing from ScoringJson fails the tests instead of only the trimmed app.
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Clear();
            o.SerializerOptions.TypeInfoResolverChain.Add(ScoringJson.Default);
        });
        var app = builder.Build();
        var ml = new MLContext();
        var model = ml.Model.LoadFineTuneOnnx(modelPath);
        var classifier = new Classifier(ml, model);
        app.Lifetime.ApplicationStopped.Register(model.Dispose);

        app.MapGet("/", () => Results.Ok(new ModelInfo(Path.GetFileName(modelPath), model.InputColumnNames, model.OutputColumnNames)));
        app.MapPost("/predict", (PredictRequest request) =>
        {
            if (request.Texts is not { Count: > 0 } texts)
                return Results.BadRequest(new ErrorResponse("Send {\"texts\": [\"...\"]} with at least one text."));
            if (texts.Count > MaxTexts)
                return Results.BadRequest(new ErrorResponse($"At most {MaxTexts} texts per request; got {texts.Count}."));
            return Results.Ok(new PredictResponse(classifier.Predict(texts)));
        });
        return app;
    }

    /// <summary>Reads a single classification head's columns (binary or multiclass) from a batched Transform.</summary>
    sealed class Classifier
    {
        readonly MLContext ml;
        readonly OnnxFineTuneTransformer model;
        readonly IReadOnlyList<string> labels;
        readonly string prefix;
        readonly SchemaDefinition input;

        public Classifier(MLContext ml, OnnxFineTuneTransformer model)
        {
            this.ml = ml; this.model = model;
            var predicted = model.OutputColumnNames.Where(n => n.EndsWith("PredictedLabel", StringComparison.Ordinal)).ToList();
            if (predicted.Count != 1 || model.InputColumnNames.Count != 1)
                throw new NotSupportedException("This sample serves single-text models with one classification head.");
            prefix = predicted[0][..^"PredictedLabel".Length];
            labels = model.LabelNames.Values.Single();
            input = SchemaDefinition.Create(typeof(TextRow));
            input[0].ColumnName = model.InputColumnNames[0];
        }

        public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts)
        {
            var scored = model.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t ?? "" }), input));
            bool binary = scored.Schema[prefix + "PredictedLabel"].Type is BooleanDataViewType;
            if (binary)
            {
                var p = scored.GetColumn<float>(prefix + "Probability").ToArray();
                var margin = scored.GetColumn<float>(prefix + "Score").ToArray();
                return p.Select((x, i) => x > 0.5f ? new Prediction(labels[1], x, [margin[i]]) : new Prediction(labels[0], 1 - x, [margin[i]])).ToList();
            }
            var keys = scored.GetColumn<uint>(prefix + "PredictedLabel").ToArray();
            var probabilities = scored.GetColumn<float[]>(prefix + "Score").ToArray();
            return keys.Select((k, i) => new Prediction(labels[(int)k - 1], probabilities[i][k - 1], probabilities[i])).ToList();
        }
    }

    sealed class TextRow { public string Text { get; set; } = ""; }
}
