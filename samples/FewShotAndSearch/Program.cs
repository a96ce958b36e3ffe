// Few-shot sentiment from 16 labelled sentences, and semantic search over 20 short documents, both with the pretrained
// all-MiniLM-L6-v2 (shipped through NuGet, offline). The pipelines themselves are in FewShotAndSearch.cs.
//
//   dotnet run -c Release --project samples/FewShotAndSearch              (few-shot with SetFit)
//   ... -- --frozen                       (few-shot with frozen embeddings + LbfgsMaximumEntropy, no fine-tuning)
using System.Diagnostics;
using Microsoft.ML;
using MLNet.FineTune.Samples;

var ml = new MLContext(seed: 1);
var watch = Stopwatch.StartNew();
bool frozen = args.Contains("--frozen");
Console.WriteLine($"Few-shot sentiment: training on {FewShotAndSearch.Examples.Length} labelled sentences " +
    (frozen ? "(frozen all-MiniLM-L6-v2 embeddings + LbfgsMaximumEntropy)" : "(SetFit with all-MiniLM-L6-v2)"));
var sentiment = frozen ? FewShotAndSearch.TrainSentimentOnFrozenEmbeddings(ml) : FewShotAndSearch.TrainSentiment(ml);
Console.WriteLine($"  trained in {watch.Elapsed.TotalSeconds:F1} s");
foreach (var (text, label) in FewShotAndSearch.Classify(ml, sentiment, FewShotAndSearch.NewSentences))
    Console.WriteLine($"  {label,-8} \"{text}\"");

Console.WriteLine();
Console.WriteLine($"Semantic search over {FewShotAndSearch.Corpus.Length} documents");
var index = FewShotAndSearch.Index(ml);
foreach (var query in FewShotAndSearch.Queries)
{
    Console.WriteLine($"  \"{query}\"");
    foreach (var hit in index.Search(query, top: 3)) Console.WriteLine($"    {hit.Score:F3}  {hit.Document}");
}

// The same model as Microsoft.Extensions.AI's IEmbeddingGenerator (what Semantic Kernel and vector stores take).
var best = await FewShotAndSearch.SearchWithGenerator(index.Model, FewShotAndSearch.Queries[0]);
Console.WriteLine();
Console.WriteLine($"Through IEmbeddingGenerator: best match for \"{FewShotAndSearch.Queries[0]}\" is \"{best}\"");
Console.WriteLine($"Done in {watch.Elapsed.TotalSeconds:F1} s");
