package chorus.shared.bus;

/** A gateway node accepted an authenticated socket. */
public record SocketOpened(String userId, String nodeId, String socketId, String profile) {}
