package chorus.gateway.profile;

import chorus.gateway.GatewayMeters;

/**
 * Times one socket's connect, step by step ({@code chorus.connect.stage}): each step is timed
 * from the end of the one before, so a socket's steps add up to its connect duration, and a
 * slow connect says where it waited. Used on the socket's own event loop only.
 */
final class ConnectTimer {
  static final String UPGRADE = "upgrade";
  static final String AUTH = "auth";
  static final String CONTEXT = "context";
  static final String SEAT = "seat";
  static final String LIVE = "live";

  private final GatewayMeters meters;
  private final String profile;
  private final long startNanos = System.nanoTime();
  private long lastNanos = startNanos;
  private boolean live;

  ConnectTimer(GatewayMeters meters, String profile) {
    this.meters = meters;
    this.profile = profile;
  }

  /** The step {@code stage} just ended. */
  void passed(String stage) {
    long now = System.nanoTime();
    meters.connectStage(profile, stage, now - lastNanos);
    lastNanos = now;
  }

  /** The socket receives the live stream: the last step, and the whole connect (once). */
  void live() {
    if (live) {
      return;
    }
    live = true;
    passed(LIVE);
    meters.connected(profile, lastNanos - startNanos);
  }
}
