using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using MLNet.FineTune.Data;
using MLNet.FineTune.Generation;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace MLNet.FineTune;

/// <summary>
/// A <see cref="TextGenerationTransformer"/> as Microsoft.Extensions.AI's chat client. The conversation (system, user
/// and assistant messages; text content only) is rendered with the model's chat template plus the assistant's
/// generation prompt. <see cref="ChatOptions"/> override the model's generation settings: MaxOutputTokens, StopSequences,
/// Seed, and sampling — Temperature 0 is greedy, a positive Temperature (or TopP / TopK without a Temperature) samples.
/// Thread-safe; the model belongs to whoever fitted or loaded it.
/// </summary>
internal sealed class TextGenerationChatClient : IChatClient
{
    readonly TextGenerationTransformer model;
    readonly ChatClientMetadata metadata;

    public TextGenerationChatClient(TextGenerationTransformer model)
    {
        this.model = model;
        metadata = new ChatClientMetadata("MLNet.FineTune", null, model.ModelId);
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var prompt = Render(messages);
        var generation = Options(options);
        cancellationToken.ThrowIfCancellationRequested();
        var result = model.GenerateBatch([prompt], generation, cancellationToken)[0];
        if (result.FinishReason == FinishReason.Cancelled) cancellationToken.ThrowIfCancellationRequested();
        var response = new ChatResponse(new ChatMessage(AiChatRole.Assistant, result.Text ?? ""))
        {
            ModelId = model.ModelId, CreatedAt = DateTimeOffset.UtcNow, FinishReason = Reason(result.FinishReason),
            Usage = new UsageDetails { InputTokenCount = prompt.Count, OutputTokenCount = result.TokenIds.Count, TotalTokenCount = prompt.Count + result.TokenIds.Count },
        };
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = Render(messages);
        var generation = Options(options);
        var id = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        await foreach (var piece in model.Generator.StreamAsync(prompt, model.Prompts.ForModel(generation), cancellationToken).WithCancellation(cancellationToken))
            yield return new ChatResponseUpdate(AiChatRole.Assistant, piece) { ResponseId = id, MessageId = id, ModelId = model.ModelId, CreatedAt = created };
        // The stream does not say why it ended; a final empty update carries the finish reason Stop (eos, stop sequence or length alike).
        yield return new ChatResponseUpdate(AiChatRole.Assistant, []) { ResponseId = id, MessageId = id, ModelId = model.ModelId, CreatedAt = created, FinishReason = ChatFinishReason.Stop };
    }

    IReadOnlyList<int> Render(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turns = new List<ChatTurn>();
        int index = 0;
        foreach (var message in messages)
        {
            var role = message.Role == AiChatRole.System ? Data.ChatRole.System
                : message.Role == AiChatRole.User ? Data.ChatRole.User
                : message.Role == AiChatRole.Assistant ? Data.ChatRole.Assistant
                : throw new NotSupportedException($"Message {index}: role '{message.Role}' is not supported by this chat client (system, user and assistant messages only; no tools).");
            if (message.Contents.Any(c => c is not TextContent))
                throw new NotSupportedException($"Message {index}: only text content is supported (got {string.Join(", ", message.Contents.Where(c => c is not TextContent).Select(c => c.GetType().Name).Distinct())}).");
            turns.Add(new ChatTurn(role, message.Text));
            index++;
        }
        if (turns.Count == 0) throw new ArgumentException("Give at least one message.", nameof(messages));
        return model.Prompts.EncodeChat(turns, "Chat messages");
    }

    /// <summary>The model's generation settings with the chat options that are set.</summary>
    GenerationOptions Options(ChatOptions? chat)
    {
        var settings = model.Generation;
        if (chat is not null)
        {
            bool sample = chat.Temperature is { } t ? t > 0 : settings.DoSample || chat.TopP is not null || chat.TopK is not null;
            settings = settings with
            {
                MaxNewTokens = chat.MaxOutputTokens ?? settings.MaxNewTokens,
                DoSample = sample,
                Temperature = chat.Temperature is > 0 and var temperature ? temperature : settings.Temperature,
                TopP = chat.TopP ?? settings.TopP,
                TopK = chat.TopK ?? settings.TopK,
                StopSequences = chat.StopSequences is { } stops ? [.. stops] : settings.StopSequences,
                Seed = chat.Seed ?? settings.Seed,
            };
            settings.Validate("ChatOptions");
        }
        return settings.ToGenerationOptions();
    }

    static ChatFinishReason Reason(FinishReason reason) => reason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop;

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return metadata;
        if (serviceType.IsInstanceOfType(model)) return model;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>The model belongs to whoever fitted or loaded it.</summary>
    public void Dispose() { }
}
