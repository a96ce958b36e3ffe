using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Data.IO;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune;

/// <summary>Loading a model zip without a writable temp folder (read-only containers, serverless hosts).</summary>
public static class InMemoryModelLoading
{
    /// <summary>
    /// Loads a model saved by <c>mlContext.Model.Save</c> the way <c>mlContext.Model.Load</c> does, but reading every
    /// zip entry into memory. ML.NET's own Load copies each entry it opens into a temporary file under
    /// <see cref="MLContext.TempFilePath"/> first (its RepositoryReader is opened with useFileSystem), which fails where
    /// no temp folder is writable; FineTune models themselves read their tokenizer and weights from memory either way.
    /// Models saved with a data loader instead of an input schema are not supported here (use <c>Model.LoadChecked</c>).
    /// A damaged, truncated or foreign file fails with a message naming it (the stream's file name when it is a
    /// <see cref="FileStream"/>) and what was expected, not with ML.NET's bare zip or repository message.
    /// </summary>
    public static ITransformer LoadInMemory(this ModelOperationsCatalog catalog, Stream stream, out DataViewSchema? inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(stream);
        string what = stream is FileStream file ? $"Model file '{file.Name}'" : "The model stream";
        ModelZipLoadErrors.CheckStart(stream, what);
        var env = CatalogUtils.GetEnvironment(catalog);
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        // ML.NET copies every entry it opens into memory: refuse a zip bomb before it does.
        ZipBombCheck.Check(stream, what);
        DataViewSchema? schema = null;
        var model = ModelZipLoadErrors.Wrap(what, () =>
        {
            using var repository = RepositoryReader.Open(stream, env, useFileSystem: false);
            var schemaEntry = repository.OpenEntryOrNull("Schema");
            schema = schemaEntry is null ? null : new BinaryLoader(env, new BinaryLoader.Arguments(), schemaEntry.Stream).Schema;
            if (!ModelLoadContext.LoadModelOrNull<ITransformer, SignatureLoadModel>(env, out var model, repository, CompositeDataLoader<object, ITransformer>.TransformerDirectory))
                throw new InvalidDataException("this zip holds no transformer chain at 'TransformerChain': it is not an ML.NET model, or one saved with a data loader " +
                    $"(load that with mlContext.Model.LoadChecked); {ModelZipLoadErrors.Expected} with an input schema.");
            return model;
        });
        inputSchema = schema;
        return model;
    }

    /// <inheritdoc cref="LoadInMemory(ModelOperationsCatalog, Stream, out DataViewSchema?)"/>
    public static ITransformer LoadInMemory(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema? inputSchema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        ModelZipLoadErrors.CheckFile(filePath);
        using var stream = UserFile.OpenRead(filePath, "model zip");
        return catalog.LoadInMemory(stream, out inputSchema);
    }
}
