package chorus.gateway.profile;

/** WebSocket close codes used by the profiles (RFC 6455 and the documents' 4xxx codes). */
public final class CloseCodes {
  private CloseCodes() {}

  public static final short NORMAL = 1000;
  public static final short POLICY_VIOLATION = 1008;
  public static final short MESSAGE_TOO_BIG = 1009;
  public static final short INTERNAL_ERROR = 1011;
  public static final short AUTH_FAILED = 4001;
  public static final short FORBIDDEN = 4003;
  /** The survey profile: no survey conversation has this id (the id is the capability). */
  public static final short NOT_FOUND = 4004;
}
