package chorus.shared.bus;

/** A persistence role is up on this node run and serves {@code Addresses.appendAt(nodeInstance)}. */
public record PersistenceAlive(String nodeInstance) {}
