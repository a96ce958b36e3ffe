using System.Text;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// The files a tokenizer is read from, by file name: a checkpoint folder on disk, or bytes held in memory (a model
/// zip's <c>tokenizer/</c> entries, the built-in model's generated vocabulary). Reading from memory is what lets
/// <c>Model.Load</c> work without a writable temp folder (read-only containers, serverless hosts).
/// </summary>
internal abstract class TokenizerFiles
{
    /// <summary>Where the files are, for messages: a folder path or a description such as "model zip".</summary>
    public abstract string Where { get; }
    public abstract bool Exists(string name);
    public abstract byte[] ReadAllBytes(string name);
    /// <summary>File names present, sorted ordinally.</summary>
    public abstract IReadOnlyList<string> Names { get; }
    /// <summary>A file's path for messages (and, for a folder, the real path).</summary>
    public abstract string PathOf(string name);

    /// <summary>Text as <c>File.ReadAllText</c> reads it: UTF-8 unless a byte-order mark says otherwise, the mark removed.</summary>
    public string ReadAllText(string name)
    {
        using var reader = new StreamReader(new MemoryStream(ReadAllBytes(name)), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    public static TokenizerFiles Folder(string folder) => new FolderFiles(folder);

    public static TokenizerFiles InMemory(IReadOnlyDictionary<string, byte[]> files, string where) => new MemoryFiles(files, where);

    sealed class FolderFiles(string folder) : TokenizerFiles
    {
        public override string Where => folder;
        public override bool Exists(string name) => File.Exists(PathOf(name));
        public override byte[] ReadAllBytes(string name) => Persistence.UserFile.ReadAllBytes(PathOf(name), "tokenizer file");
        public override IReadOnlyList<string> Names =>
            Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).OrderBy(n => n, StringComparer.Ordinal).ToList();
        public override string PathOf(string name) => Path.Combine(folder, name);
    }

    sealed class MemoryFiles : TokenizerFiles
    {
        readonly IReadOnlyDictionary<string, byte[]> files;
        readonly string where;

        public MemoryFiles(IReadOnlyDictionary<string, byte[]> files, string where)
        {
            foreach (var name in files.Keys)
                if (name.Length == 0 || name != Path.GetFileName(name) || name is "." or "..")
                    throw new InvalidDataException($"{where}: invalid tokenizer file name '{name}' (expected a plain file name).");
            this.files = files; this.where = where;
        }

        public override string Where => where;
        public override bool Exists(string name) => files.ContainsKey(name);
        public override byte[] ReadAllBytes(string name) =>
            files.TryGetValue(name, out var bytes) ? bytes : throw new FileNotFoundException($"{where} has no file '{name}'.", name);
        public override IReadOnlyList<string> Names => files.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        public override string PathOf(string name) => where + "/" + name;
    }
}
