package chorus.ai.provider;

/** One generation as a provider sends it: endpoint, model, sampling settings and the prompt. */
public record ModelCall(Endpoint endpoint, String model, double temperature, int maxTokens, Prompt prompt) {}
