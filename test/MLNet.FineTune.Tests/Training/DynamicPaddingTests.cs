using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Training;

[TestClass]
public class DynamicPaddingTests
{
    [TestMethod]
    public void PadsToTheLongestSequenceOfTheBatch()
    {
        var (ids, mask) = DynamicPadding.Pad([[101, 7, 102], [101, 102]], padId: 0);
        using (ids) using (mask)
        {
            CollectionAssert.AreEqual(new long[] { 2, 3 }, ids.shape);
            CollectionAssert.AreEqual(new long[] { 101, 7, 102, 101, 102, 0 }, ids.data<long>().ToArray());
            CollectionAssert.AreEqual(new long[] { 1, 1, 1, 1, 1, 0 }, mask.data<long>().ToArray());
        }
    }
}
