using System.Text;
using System.Text.Json;
using Microsoft.ML;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// <c>fewshot dump</c>: writes the few-shot draws (and the dev set) as TSV files, so a reference implementation in another
/// language trains on exactly the rows <see cref="FewShotData"/> draws, in the same order, instead of re-implementing
/// .NET's seeded sampling (bench/setfit_reference.py reads them). Layout as GLUE's: header <c>sentence\tlabel</c>,
/// label 1 = positive, 0 = negative.
/// </summary>
public static class FewShotDump
{
    public static IEnumerable<string> Run(string[] args)
    {
        var sizes = Flags.String(args, "--sizes", "8").Split(',').Select(int.Parse).ToArray();
        int firstDraw = Flags.Int(args, "--draw-from", 0), draws = Flags.Int(args, "--draws", 3);
        int minWords = Flags.Int(args, "--min-words", 0);
        var folder = Flags.String(args, "--out", "fewshot-draws");
        var data = FewShotData.Load(new MLContext(seed: 1), minWords);
        Directory.CreateDirectory(folder);
        var dev = Path.Combine(folder, "dev.tsv");
        Write(dev, data.Dev);
        yield return Line(new() { ["file"] = dev, ["rows"] = data.Dev.Count });
        foreach (int perClass in sizes)
            for (int draw = firstDraw; draw < firstDraw + draws; draw++)
            {
                var rows = data.Draw(perClass, draw);
                var file = Path.Combine(folder, $"train-{perClass}-{draw}{(minWords > 0 ? $"-min{minWords}" : "")}.tsv");
                Write(file, rows);
                yield return Line(new()
                {
                    ["file"] = file, ["rows"] = rows.Count, ["per_class"] = perClass, ["draw"] = draw,
                    ["draw_seed"] = FewShotData.Seed(perClass, draw), ["min_words"] = minWords,
                });
            }
    }

    static string Line(Dictionary<string, object> fields) =>
        JsonSerializer.Serialize(new Dictionary<string, object> { ["mode"] = "fewshot-dump" }.Concat(fields).ToDictionary());

    /// <summary>One row per line; a tab or line break inside a text would shift the columns, so it is refused.</summary>
    static void Write(string path, IEnumerable<FewShotRow> rows)
    {
        var text = new StringBuilder("sentence\tlabel\n");
        foreach (var row in rows)
        {
            if (row.Text.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0)
                throw new InvalidDataException($"fewshot dump: a text holds a tab or line break and cannot be written as TSV: \"{row.Text}\".");
            text.Append(row.Text).Append('\t').Append(row.Label switch
            {
                "positive" => '1',
                "negative" => '0',
                var other => throw new InvalidDataException($"fewshot dump: unexpected label '{other}'."),
            }).Append('\n');
        }
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
    }
}
