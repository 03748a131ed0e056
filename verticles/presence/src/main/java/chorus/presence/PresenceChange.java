package chorus.presence;

/**
 * What one update did to a user's presence. Updates are atomic per user, so exactly one
 * update sees each transition: this is what lets presence events go out once per change,
 * not once per device, and not once per surviving node when a dead node is cleaned up.
 * Sent by ordinal ({@link PresenceWireSerializer}): add new values at the end.
 */
enum PresenceChange implements PresenceWire {
  CAME_ONLINE, WENT_OFFLINE, UNCHANGED,
  /** A socket was not admitted: the user already has the most sockets allowed. */
  REFUSED
}
