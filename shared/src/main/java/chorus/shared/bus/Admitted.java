package chorus.shared.bus;

/** The answer to {@link AdmitGeneration}: {@code refusal} is null when admitted, else the error code. */
public record Admitted(String refusal, int running, long tokensToday) {}
