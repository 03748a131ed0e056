package chorus.shared.bus;

/** A socket announced by {@link SocketOpened} has closed. */
public record SocketClosed(String userId, String nodeId, String socketId) {}
