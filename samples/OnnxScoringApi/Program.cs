// A minimal web API serving a FineTune classification model exported to ONNX, with MLNet.FineTune.Onnx only (no
// TorchSharp, no libtorch): POST /predict {"texts": ["great film", "dull"]} → one prediction per text.
//
//   dotnet run -c Release --project samples/OnnxScoringApi -- sentiment.onnx [http://127.0.0.1:5088]
//   (or ONNX_MODEL_PATH / ONNX_SCORING_URL in the environment)
//   curl -s -X POST http://127.0.0.1:5088/predict -H 'Content-Type: application/json' -d '{"texts":["a great film"]}'
using OnnxScoringApi;

var modelPath = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("ONNX_MODEL_PATH");
var url = args.Length > 1 ? args[1] : Environment.GetEnvironmentVariable("ONNX_SCORING_URL") ?? "http://127.0.0.1:5088";
if (string.IsNullOrWhiteSpace(modelPath) || !File.Exists(modelPath))
{
    Console.Error.WriteLine("usage: OnnxScoringApi <model.onnx> [url]   (or set ONNX_MODEL_PATH; the url defaults to http://127.0.0.1:5088)");
    return 2;
}
await using var app = ScoringApp.Build(modelPath, url);
await app.RunAsync();
return 0;
