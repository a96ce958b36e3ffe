using MLNet.FineTune.Data;

namespace MLNet.FineTune.Tests.Data.Generative;

[TestClass]
public class ChatMessagesParserTests
{
    [TestMethod]
    public void AMessagesArrayOrObjectBecomesTurns()
    {
        var turns = ChatMessagesParser.Parse("""[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 0}, {"role": "assistant", "content": "Hey"}]""", "row 3", "Messages");
        CollectionAssert.AreEqual(new ChatTurn[]
        {
            new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hi"), new(ChatRole.Assistant, "Hello", 0), new(ChatRole.Assistant, "Hey"),
        }, turns.ToArray());
        var wrapped = ChatMessagesParser.Parse("""{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}]}""", "row 4", "Messages");
        Assert.AreEqual(2, wrapped.Count);
    }

    [TestMethod]
    [DataRow("""[{"role": "user", "content": "Hi"}, {"role": "bot", "content": "Hey"}]""", "row 7: Messages[1].role: unrecognized_role: unrecognized role 'bot'; expected system, user or assistant")]
    [DataRow("""[{"role": "user", "content": "Hi"}""", "row 7: Messages: invalid_json: not valid JSON")]
    [DataRow("""[{"role": "user", "content": "Hi"}]""", "row 7: Messages: no_assistant_message: no assistant message")]
    [DataRow("""[{"role": "user", "content": ""}, {"role": "assistant", "content": "x"}]""", "row 7: Messages[0].content: missing_content: the user message's content is empty")]
    [DataRow("""[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "x", "weight": 2}]""", "row 7: Messages[1].weight: invalid_value: expected 0 or 1, found 2")]
    [DataRow("""{"msgs": []}""", "row 7: Messages: missing_key: an object without 'messages'")]
    [DataRow("""{"messages": "hi"}""", "row 7: Messages.messages: wrong_type: expected an array of messages, found a string")]
    [DataRow("""42""", "row 7: Messages: wrong_type: expected an array of messages, found the number 42")]
    [DataRow("  ", "row 7: Messages: missing_content: empty; expected a JSON array of messages")]
    public void ErrorsNameTheSourceTheFieldAndWhatWasExpected(string json, string expected)
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ChatMessagesParser.Parse(json, "row 7", "Messages"));
        StringAssert.StartsWith(error.Message, expected);
    }
}
