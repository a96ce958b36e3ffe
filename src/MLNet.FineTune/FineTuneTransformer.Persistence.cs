using Microsoft.ML;

namespace MLNet.FineTune;

public sealed partial class FineTuneTransformer
{
    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException("Saving is being wired (issue #5).");
}
