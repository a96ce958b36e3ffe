using Microsoft.ML;

namespace MLNet.FineTune;

/// <summary>Model-saving helpers for <see cref="ModelOperationsCatalog"/> (<c>mlContext.Model</c>).</summary>
public static class ModelOperationsCatalogExtensions
{
    /// <summary>
    /// Saves <paramref name="model"/> like <c>mlContext.Model.Save</c>, but atomically: the model is written to a
    /// temporary file in the same folder, flushed to disk, then renamed over <paramref name="filePath"/>. A failed
    /// save (exception, full disk, crash) never leaves a half-written file at the target; an existing file there is
    /// replaced only by a complete one.
    /// </summary>
    public static void SaveAtomic(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        var target = Path.GetFullPath(filePath);
        var folder = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Cannot save model to '{target}': folder '{folder}' does not exist.");
        // Same folder as the target, so the final rename never crosses file systems (rename is atomic only within one).
        var temp = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                catalog.Save(model, inputSchema, stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
