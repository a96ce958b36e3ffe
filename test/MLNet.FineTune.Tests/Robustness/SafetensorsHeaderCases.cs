using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using static MLNet.FineTune.Tests.Robustness.UntrustedFileFixtures;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 3: safetensors headers with wrong JSON types (dtype, shape, data_offsets), duplicate names,
/// overlapping, out-of-order or gapped offsets, and shapes whose element count overflows 64 bits. Each must be refused
/// naming the file and the tensor or field before any tensor data is read.
/// </summary>
internal sealed class SafetensorsHeaderCases : ICorpusSource
{
    const string Category = "safetensors";

    /// <summary>Two float32 tensors, a [2] at bytes 0–8 and b [3] at bytes 8–20, then <paramref name="extra"/>.</summary>
    static string Header(string a = "\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]",
        string b = "\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [8, 20]", string extra = "") =>
        $"{{\"__metadata__\": {{\"format\": \"pt\"}}, \"a\": {{{a}}}, \"b\": {{{b}}}{extra}}}";

    static readonly byte[] Data = new byte[20];

    static CorpusCase Refused(string name, string header, params string[] mention) => Refused(name, header, Data, mention);

    static CorpusCase Refused(string name, string header, byte[] data, params string[] mention) =>
        CorpusCase.Refused(Category, name, folder =>
        {
            var path = Path.Combine(folder, "model.safetensors");
            WriteSafetensors(path, header, data);
            SafetensorsReader.Open(path).ReadAll();
        }, ["model.safetensors", .. mention]);

    public IEnumerable<CorpusCase> Cases() => UntrustedFileFixtures.Disposing(AllCases());

    static IEnumerable<CorpusCase> AllCases()
    {
        // Wrong JSON types for each field of an entry.
        foreach (var (type, json) in new[] { ("number", "32"), ("null", "null"), ("array", "[\"F32\"]"), ("bool", "true") })
            yield return Refused($"dtype-as-{type}", Header(a: $"\"dtype\": {json}, \"shape\": [2], \"data_offsets\": [0, 8]"), "a.dtype");
        foreach (var (type, json) in new[] { ("string", "\"[2]\""), ("number", "2"), ("object", "{\"0\": 2}"), ("null", "null") })
            yield return Refused($"shape-as-{type}", Header(a: $"\"dtype\": \"F32\", \"shape\": {json}, \"data_offsets\": [0, 8]"), "a.shape");
        foreach (var (type, json) in new[] { ("string-item", "[\"2\"]"), ("float-item", "[2.5]"), ("bool-item", "[true]"), ("null-item", "[null]"), ("huge-item", "[1e30]") })
            yield return Refused($"shape-{type}", Header(a: $"\"dtype\": \"F32\", \"shape\": {json}, \"data_offsets\": [0, 8]"), "a.shape[0]");
        foreach (var (type, json) in new[] { ("string", "\"0-8\""), ("object", "{\"begin\": 0}"), ("one-item", "[8]"), ("three-items", "[0, 8, 16]"), ("string-items", "[\"0\", \"8\"]"), ("float-items", "[0.0, 8.5]") })
            yield return Refused($"data-offsets-{type}", Header(a: $"\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": {json}"), "a.data_offsets");
        yield return Refused("entry-as-string", Header(extra: ", \"c\": \"F32\""), "c");
        yield return Refused("entry-as-array", Header(extra: ", \"c\": [\"F32\", [1], [20, 24]]"), "c");
        yield return Refused("metadata-as-array", Header(extra: ", \"__metadata__\": [\"pt\"]").Replace("\"__metadata__\": {\"format\": \"pt\"}, ", ""), "__metadata__");
        yield return Refused("metadata-value-number", Header().Replace("\"format\": \"pt\"", "\"format\": 1"), "__metadata__.format");
        yield return Refused("header-top-level-array", "[{\"dtype\": \"F32\"}]", "object");
        yield return Refused("header-not-json", "{\"a\": {\"dtype\": \"F32\", ", "JSON");
        yield return Refused("header-invalid-utf8", "{}", [], "UTF-8") with
        {
            Run = folder =>
            {
                var path = Path.Combine(folder, "model.safetensors");
                byte[] header = [.. "{\"a"u8, 0xFF, 0xFE, .. "\": {}}"u8];
                File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header]);
                SafetensorsReader.Open(path);
            },
        };

        // Names and layout.
        yield return Refused("duplicate-tensor-name", Header(extra: ", \"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}"), "a");
        yield return Refused("overlapping-offsets", Header(b: "\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [4, 16]"), new byte[16], "overlap", "'a'", "'b'");
        yield return Refused("same-offsets-twice", Header(b: "\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]"), new byte[8], "overlap");
        yield return Refused("gap-between-tensors", Header(b: "\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [12, 24]"), new byte[24], "gap", "'b'");
        yield return Refused("trailing-bytes", Header(), new byte[28], "8 bytes");
        yield return Refused("offsets-beyond-file", Header(b: "\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [8, 20]"), new byte[12], "'b'", "outside");
        yield return Refused("offsets-reversed", Header(a: "\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]"), "'a'", "data_offsets");
        yield return Refused("negative-offset", Header(a: "\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [-8, 0]"), "'a'");
        yield return Refused("negative-dimension", Header(a: "\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]"), "'a'", "negative");
        yield return Refused("shape-product-overflows-int64", Header(a: "\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 16], \"data_offsets\": [0, 8]"), "'a'");
        yield return Refused("shape-product-exactly-wraps-to-8-bytes", Header(a: "\"dtype\": \"F32\", \"shape\": [2, 4611686018427387904], \"data_offsets\": [0, 8]"), "'a'");
        yield return Refused("shape-with-zero-but-nonzero-span", Header(a: "\"dtype\": \"F32\", \"shape\": [0, 2], \"data_offsets\": [0, 8]"), "'a'", "dtype/shape");
        yield return Refused("unsupported-dtype", Header(a: "\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [0, 8]"), "'a'", "U8");
        yield return Refused("dtype-size-mismatch", Header(a: "\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 8]"), "'a'", "dtype/shape");
        yield return Refused("header-length-beyond-file", "{}" + new string(' ', 6), [], "empty") with
        {
            Run = folder =>
            {
                var path = Path.Combine(folder, "model.safetensors");
                File.WriteAllBytes(path, [.. BitConverter.GetBytes(1_000_000UL), .. "{}"u8]);
                SafetensorsReader.Open(path);
            },
            Expect = Expected.Error("model.safetensors", "truncated"),
        };
        yield return Refused("header-length-petabytes", "{}", [], "limit") with
        {
            Run = folder =>
            {
                var path = Path.Combine(folder, "model.safetensors");
                File.WriteAllBytes(path, [.. BitConverter.GetBytes(ulong.MaxValue), .. "{}"u8]);
                SafetensorsReader.Open(path);
            },
        };

        // Through the user-facing load of a checkpoint folder, and accepted edge cases.
        yield return CorpusCase.Refused(Category, "checkpoint-with-overlapping-tensors", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            var path = Path.Combine(folder, "model.safetensors");
            var reader = SafetensorsReader.Open(path);
            var first = reader.Entries.Values.OrderBy(e => e.Begin).Skip(1).First();
            var bytes = File.ReadAllBytes(path);
            var headerLength = (int)BitConverter.ToUInt64(bytes);
            var header = System.Text.Encoding.UTF8.GetString(bytes, 8, headerLength);
            // Point the second tensor at the first one's bytes: same length, so only the overlap check can catch it.
            var doctored = header.Replace($"[{first.Begin},{first.End}]", $"[0,{first.End - first.Begin}]");
            Assert.AreNotEqual(header, doctored);
            File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)doctored.Length), .. System.Text.Encoding.UTF8.GetBytes(doctored), .. bytes[(8 + headerLength)..]]);
            PretrainedEncoder.Load(folder);
        }, "model.safetensors", "overlap");
        yield return CorpusCase.Accepted(Category, "zero-size-tensor-and-out-of-order-keys", folder =>
        {
            var path = Path.Combine(folder, "model.safetensors");
            // Keys listed in reverse offset order (JSON objects are unordered) and a [0] tensor at the end: both valid.
            WriteSafetensors(path, "{\"z\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [8, 8]}, \"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}",
                [.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2f)]);
            var tensors = SafetensorsReader.Open(path).ReadAll();
            CollectionAssert.AreEqual(new[] { 1.5f, -2f }, tensors["a"].data<float>().ToArray());
            Assert.AreEqual(0L, tensors["z"].numel());
        });
        yield return CorpusCase.Accepted(Category, "metadata-extra-keys-kept", folder =>
        {
            var path = Path.Combine(folder, "model.safetensors");
            WriteSafetensors(path, Header().Replace("\"format\": \"pt\"", "\"format\": \"pt\", \"source\": \"me\""), Data);
            Assert.AreEqual("me", SafetensorsReader.Open(path).Metadata["source"]);
        });
    }
}
