package chorus.gateway.socket;

import io.vertx.core.json.JsonObject;

/**
 * The socket hardening settings of a gateway node (config/node.json, README "Configuration"):
 * WebSocket heartbeats, the per-socket write queue bound, the per-node socket cap and how
 * long a socket the node closes may take to finish its close handshake, and how its frames are written.
 *
 * @param pingIntervalMs     {@code heartbeat.pingIntervalMs}: a PING control frame this often; 0 turns heartbeats off
 * @param heartbeatTimeoutMs {@code heartbeat.timeoutMs}: no sign of life for this long closes the socket (1001)
 * @param writeQueueMaxBytes {@code limits.writeQueueMaxBytes}: bytes a socket may have waiting to be sent before it is closed (1013)
 * @param maxSocketsPerNode  {@code limits.maxSocketsPerNode}: open WebSockets on this node; beyond it {@code NODE_FULL} and 1013
 * @param closeGraceMs       {@code limits.closeGraceMs}: after the node closes a socket, how long before the TCP connection is dropped
 *                           if the close handshake has not finished (a client that does not read never finishes it)
 * @param socketSendBufferBytes {@code limits.socketSendBufferBytes}: the kernel send buffer (SO_SNDBUF) of each connection;
 *                           0 leaves it to the OS, which may grow it to {@code net.ipv4.tcp_wmem}'s maximum (4 MiB on Linux)
 *                           for a client that does not read, on top of {@code writeQueueMaxBytes}
 * @param framesPerWrite     {@code limits.framesPerWrite}: the frames written to one socket in one event-loop turn leave in
 *                           one write system call, at most this many; 1 writes each frame with its own call (Vert.x's way)
 */
public record SocketLimits(
    long pingIntervalMs,
    long heartbeatTimeoutMs,
    int writeQueueMaxBytes,
    int maxSocketsPerNode,
    long closeGraceMs,
    int socketSendBufferBytes,
    int framesPerWrite) {

  public static final long DEFAULT_PING_INTERVAL_MS = 25_000;
  public static final long DEFAULT_HEARTBEAT_TIMEOUT_MS = 40_000;
  public static final int DEFAULT_WRITE_QUEUE_MAX_BYTES = 1 << 20;
  public static final int DEFAULT_MAX_SOCKETS_PER_NODE = 10_000;
  public static final long DEFAULT_CLOSE_GRACE_MS = 5_000;
  public static final int DEFAULT_SOCKET_SEND_BUFFER_BYTES = 0;
  public static final int DEFAULT_FRAMES_PER_WRITE = 256;

  public SocketLimits {
    if (pingIntervalMs < 0) {
      throw new IllegalArgumentException("heartbeat.pingIntervalMs must be >= 0 (0 turns heartbeats off), got " + pingIntervalMs);
    }
    if (pingIntervalMs > 0 && heartbeatTimeoutMs <= pingIntervalMs) {
      throw new IllegalArgumentException("heartbeat.timeoutMs (" + heartbeatTimeoutMs
          + ") must be longer than heartbeat.pingIntervalMs (" + pingIntervalMs + "), or a live client would be closed between two pings");
    }
    if (writeQueueMaxBytes < 1024) {
      throw new IllegalArgumentException("limits.writeQueueMaxBytes must be at least 1024, got " + writeQueueMaxBytes);
    }
    if (maxSocketsPerNode < 1) {
      throw new IllegalArgumentException("limits.maxSocketsPerNode must be at least 1, got " + maxSocketsPerNode);
    }
    if (closeGraceMs < 1) {
      throw new IllegalArgumentException("limits.closeGraceMs must be at least 1, got " + closeGraceMs);
    }
    if (socketSendBufferBytes < 0) {
      throw new IllegalArgumentException("limits.socketSendBufferBytes must be >= 0 (0: the OS default), got " + socketSendBufferBytes);
    }
    if (framesPerWrite < 1) {
      throw new IllegalArgumentException("limits.framesPerWrite must be at least 1 (1: a system call per frame), got " + framesPerWrite);
    }
  }

  public static SocketLimits defaults() {
    return new SocketLimits(DEFAULT_PING_INTERVAL_MS, DEFAULT_HEARTBEAT_TIMEOUT_MS, DEFAULT_WRITE_QUEUE_MAX_BYTES,
        DEFAULT_MAX_SOCKETS_PER_NODE, DEFAULT_CLOSE_GRACE_MS, DEFAULT_SOCKET_SEND_BUFFER_BYTES, DEFAULT_FRAMES_PER_WRITE);
  }

  /** Reads the {@code heartbeat} and {@code limits} sections of the node config; missing keys take their defaults. */
  public static SocketLimits from(JsonObject config) {
    JsonObject heartbeat = config.getJsonObject("heartbeat", new JsonObject());
    JsonObject limits = config.getJsonObject("limits", new JsonObject());
    return new SocketLimits(
        heartbeat.getLong("pingIntervalMs", DEFAULT_PING_INTERVAL_MS),
        heartbeat.getLong("timeoutMs", DEFAULT_HEARTBEAT_TIMEOUT_MS),
        limits.getInteger("writeQueueMaxBytes", DEFAULT_WRITE_QUEUE_MAX_BYTES),
        limits.getInteger("maxSocketsPerNode", DEFAULT_MAX_SOCKETS_PER_NODE),
        limits.getLong("closeGraceMs", DEFAULT_CLOSE_GRACE_MS),
        limits.getInteger("socketSendBufferBytes", DEFAULT_SOCKET_SEND_BUFFER_BYTES),
        limits.getInteger("framesPerWrite", DEFAULT_FRAMES_PER_WRITE));
  }

  /** For {@code HttpServerOptions.setSendBufferSize}: -1 (Vert.x's "OS default") when not configured. */
  public int socketSendBufferSize() {
    return socketSendBufferBytes == 0 ? -1 : socketSendBufferBytes;
  }
}
