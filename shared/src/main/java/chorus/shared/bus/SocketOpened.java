package chorus.shared.bus;

/**
 * A gateway node accepted an authenticated socket and asks to admit it: refused when the
 * user already has {@code maxSocketsPerUser} sockets open anywhere in the cluster (0 = no limit).
 * Answered with {@link Admission}.
 */
public record SocketOpened(String userId, String nodeId, String socketId, String profile, int maxSocketsPerUser) {

  public SocketOpened(String userId, String nodeId, String socketId, String profile) {
    this(userId, nodeId, socketId, profile, 0);
  }
}
