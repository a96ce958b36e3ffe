using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Training;

namespace MLNet.FineTune;

/// <summary>What a fitted model is and how it was made; saved inside the model zip as model_card.json.</summary>
public sealed record ModelCard
{
    public string BaseModel { get; init; } = "";
    public string? BaseWeightsSha256 { get; init; }
    /// <summary>Licence of the pretrained weights, when the base is a named pretrained model.</summary>
    public string? BaseModelLicense { get; init; }
    /// <summary>The base model's own sentence pooling ("mean", "cls"), when it is a named pretrained model.</summary>
    public string? BaseModelPooling { get; init; }
    public string ModelType { get; init; } = "";
    public string PeftMethod { get; init; } = "full";
    public string Parameters { get; init; } = "";
    public IReadOnlyList<string> Heads { get; init; } = Array.Empty<string>();
    public int TrainingRows { get; init; }
    public string TrainingDataSha256 { get; init; } = "";
    public int Steps { get; init; }
    public string StopReason { get; init; } = "";
    public IReadOnlyDictionary<string, double> FinalMetrics { get; init; } = new Dictionary<string, double>();
    public double LearningRate { get; init; }
    public int Epochs { get; init; }
    public int BatchSize { get; init; }
    public int Seed { get; init; }
    public string LibraryVersion { get; init; } = "";
    public DateTimeOffset CreatedUtc { get; init; }

    internal static ModelCard Create(ModelPackage package, TaskNetwork network, TrainingOptions training,
        IReadOnlyList<string> texts, IReadOnlyList<string>? pairs, IReadOnlyList<List<object?>> labels, IReadOnlyDictionary<string, double> metrics,
        TrainingHistory history, string peftMethod = "full") => new()
    {
        BaseModel = package.BaseName, BaseWeightsSha256 = package.BaseWeightsSha256,
        BaseModelLicense = package.Pretrained?.License, BaseModelPooling = package.Pretrained?.Pooling, ModelType = package.Config.ModelType, PeftMethod = peftMethod,
        Parameters = ParameterCounts.Summary(network),
        Heads = network.Tasks.Select(t => $"{t.Describe().Kind}:{t.Name} on '{t.LabelColumnName}' ({t.LabelNames.Count} labels)").ToArray(),
        TrainingRows = texts.Count, TrainingDataSha256 = HashRows(texts, pairs, labels), Steps = history.GlobalStep, StopReason = history.StopReason.ToString(),
        FinalMetrics = metrics, LearningRate = training.LearningRate, Epochs = training.Epochs, BatchSize = training.BatchSize, Seed = training.Seed,
        LibraryVersion = typeof(ModelCard).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
        CreatedUtc = DateTimeOffset.UtcNow,
    };

    static string HashRows(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs, IReadOnlyList<List<object?>> labels)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int r = 0; r < texts.Count; r++)
        {
            var row = texts[r] + "\u001f" + (pairs?[r] ?? "") + "\u001f" + string.Join("\u001f", labels.Select(l => l[r] is string[] a ? string.Join(" ", a) : Convert.ToString(l[r], System.Globalization.CultureInfo.InvariantCulture))) + "\n";
            sha.AppendData(Encoding.UTF8.GetBytes(row));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
