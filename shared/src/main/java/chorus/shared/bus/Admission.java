package chorus.shared.bus;

/** Whether a socket (or a socket's view of a conversation) was admitted; {@code count} is how many there are now. */
public record Admission(boolean admitted, int count) {}
