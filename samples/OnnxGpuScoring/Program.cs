// Scores a binary text classifier exported by ExportOnnx (e.g. the sentiment model of samples/SentimentQuickstart) on
// the GPU when ONNX Runtime's CUDA provider loads, else on the CPU, and says which and why. One text per stdin line in,
// "label<TAB>probability<TAB>text" per line out.
//
//   dotnet run -c Release --project samples/OnnxGpuScoring -- sentiment.onnx < reviews.txt
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNet.FineTune.Onnx;

if (args.Length != 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: OnnxGpuScoring <model.onnx>   (texts on stdin, one per line)");
    return 2;
}
SessionOptions? gpu = null;
try
{
    gpu = OnnxGpu.CudaSessionOptions();
    Console.WriteLine("device: cuda");
}
catch (NotSupportedException e)
{
    Console.WriteLine($"device: cpu ({e.Message})");
}
var ml = new MLContext();
using (gpu)
using (var model = ml.Model.LoadFineTuneOnnx(args[0], sessionOptions: gpu))
{
    var texts = new List<TextRow>();
    for (string? line; (line = Console.In.ReadLine()) is not null;) texts.Add(new TextRow { Text = line });
    var scored = model.Transform(ml.Data.LoadFromEnumerable(texts));
    foreach (var (row, prediction) in texts.Zip(ml.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false)))
        Console.WriteLine($"{prediction.PredictedLabel}\t{prediction.Probability.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}\t{row.Text}");
}
return 0;

sealed class TextRow { public string Text { get; set; } = ""; }
sealed class Prediction { public bool PredictedLabel { get; set; } public float Probability { get; set; } }
