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
    /// Models saved with a data loader instead of an input schema are not supported here (use <c>Model.Load</c>).
    /// </summary>
    public static ITransformer LoadInMemory(this ModelOperationsCatalog catalog, Stream stream, out DataViewSchema? inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(stream);
        var env = CatalogUtils.GetEnvironment(catalog);
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        // ML.NET copies every entry it opens into memory: refuse a zip bomb before it does.
        ZipBombCheck.Check(stream, "model zip");
        using var repository = RepositoryReader.Open(stream, env, useFileSystem: false);
        var schemaEntry = repository.OpenEntryOrNull("Schema");
        inputSchema = schemaEntry is null ? null : new BinaryLoader(env, new BinaryLoader.Arguments(), schemaEntry.Stream).Schema;
        ITransformer? model;
        try
        {
            if (!ModelLoadContext.LoadModelOrNull<ITransformer, SignatureLoadModel>(env, out model, repository, CompositeDataLoader<object, ITransformer>.TransformerDirectory))
                throw new InvalidDataException("This model zip holds no transformer chain at 'TransformerChain' (saved with a data loader?); load it with mlContext.Model.Load.");
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException?.TargetSite?.DeclaringType?.Namespace?.StartsWith("MLNet.FineTune", StringComparison.Ordinal) == true)
        {
            // ML.NET invokes loaders by reflection; our loaders' own clear errors come out as they were thrown.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
        return model;
    }

    /// <inheritdoc cref="LoadInMemory(ModelOperationsCatalog, Stream, out DataViewSchema?)"/>
    public static ITransformer LoadInMemory(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema? inputSchema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        using var stream = UserFile.OpenRead(filePath, "model zip");
        return catalog.LoadInMemory(stream, out inputSchema);
    }
}
