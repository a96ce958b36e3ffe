using Microsoft.ML;

namespace MLNet.FineTune;

/// <summary>Model-saving helpers for <see cref="ModelOperationsCatalog"/> (<c>mlContext.Model</c>).</summary>
public static class ModelOperationsCatalogExtensions
{
    /// <summary>
    /// Saves <paramref name="model"/> like <c>mlContext.Model.Save</c>, but atomically: the model is written to a
    /// temporary file in the same folder, flushed to disk, then renamed over <paramref name="filePath"/>. A failed
    /// save (exception, full disk, crash) never leaves a half-written file at the target; an existing file there is
    /// replaced only by a complete one. Temporary files that earlier saves of the same target left when their process
    /// was killed (writer no longer running, or not written for an hour) are deleted first.
    /// </summary>
    public static void SaveAtomic(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        var target = Path.GetFullPath(filePath);
        var folder = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Cannot save model to '{target}': folder '{folder}' does not exist.");
        if (Directory.Exists(target)) throw new IOException($"Cannot save model to '{target}': it is a folder; give the path of the .zip file to write.");
        // Saves killed before their cleanup (kill -9) leave partial files; the PID in each temp file's name tells whose writer is gone.
        Modeling.Checkpoints.AtomicSaveTempFiles.WriteFile(target, stream => catalog.Save(model, inputSchema, stream));
    }

    /// <summary>
    /// Loads a model like <c>mlContext.Model.Load(filePath, out inputSchema)</c> (any ML.NET model, also one saved with
    /// a data loader), but a file that cannot be loaded fails with a message naming it and saying what was expected:
    /// a missing path, a folder, an empty file, a file that is not a zip, a damaged or truncated zip, a zip that is not
    /// an ML.NET model, or a FineTune model whose payload is damaged. ML.NET's own <c>Model.Load</c> reports the first
    /// cases with its bare zip or repository messages ("End of Central Directory record could not be found",
    /// "Repository doesn't contain entry DataLoaderModel/Model.key"), without the file's name.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="filePath"/>.</exception>
    /// <exception cref="Persistence.ModelPayloadException">The file is not a loadable model zip; the message says why.</exception>
    public static ITransformer LoadChecked(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        Persistence.ModelZipLoadErrors.CheckFile(filePath);
        string what = $"Model file '{filePath}'";
        DataViewSchema? schema = null;
        var model = Persistence.ModelZipLoadErrors.Wrap(what, () =>
        {
            using var stream = Persistence.UserFile.OpenRead(filePath, "model zip");
            // ML.NET extracts every entry to a temp file as large as the zip declares: refuse a zip bomb first.
            Persistence.ZipBombCheck.Check(stream, what);
            return catalog.Load(stream, out schema);
        });
        inputSchema = schema!;
        return model;
    }
}
