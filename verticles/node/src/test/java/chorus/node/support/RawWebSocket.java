package chorus.node.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client written by hand over a plain TCP socket, for what real clients do
 * automatically and a test must not: it never answers a PING. A reader thread records every
 * frame the server sends (and the end of the stream); the test thread may send text frames.
 */
public final class RawWebSocket implements AutoCloseable {
  public static final int TEXT = 0x1;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;

  /** One frame from the server; {@code opcode} -1 marks the end of the stream (EOF or reset). */
  public record Frame(int opcode, byte[] payload, long receivedNanos) {
    public boolean isEnd() {
      return opcode == -1;
    }

    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** A close frame's status code, or -1 when it carries none. */
    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
    }

    public String closeReason() {
      return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
    }
  }

  private final Socket socket;
  private final OutputStream out;
  private final LinkedBlockingQueue<Frame> frames = new LinkedBlockingQueue<>();

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
  }

  /** Opens the socket and performs the HTTP upgrade; fails unless the server answers 101. */
  public static RawWebSocket connect(int port, String uri) throws IOException {
    return connect(port, uri, java.util.Map.of());
  }

  /** As above, with extra request headers (Cookie, Origin, Authorization...). */
  public static RawWebSocket connect(int port, String uri, java.util.Map<String, String> headers) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout((int) Duration.ofSeconds(30).toMillis());
    RawWebSocket ws = new RawWebSocket(socket);
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String request = "GET " + uri + " HTTP/1.1\r\n"
        + "Host: 127.0.0.1:" + port + "\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + headers.entrySet().stream().map(h -> h.getKey() + ": " + h.getValue() + "\r\n").collect(java.util.stream.Collectors.joining())
        + "\r\n";
    ws.out.write(request.getBytes(StandardCharsets.US_ASCII));
    ws.out.flush();
    DataInputStream in = new DataInputStream(socket.getInputStream());
    String head = readHead(in);
    if (!head.startsWith("HTTP/1.1 101")) {
      socket.close();
      throw new IOException("upgrade refused: " + head);
    }
    Thread reader = new Thread(() -> ws.readLoop(in), "raw-ws-reader-" + socket.getLocalPort());
    reader.setDaemon(true);
    reader.start();
    return ws;
  }

  /** A WebSocket upgrade the server answered with an HTTP status instead of 101: the status and the body. */
  public record RefusedUpgrade(int status, String body) {}

  /** Asks for an upgrade the server is expected to refuse; fails if it answers 101. */
  public static RefusedUpgrade refusedUpgrade(int port, String uri) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) Duration.ofSeconds(15).toMillis());
      byte[] nonce = new byte[16];
      ThreadLocalRandom.current().nextBytes(nonce);
      String request = "GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      String head = readHead(in);
      if (head.startsWith("HTTP/1.1 101")) {
        throw new IOException("the upgrade was accepted: " + head);
      }
      int status = Integer.parseInt(head.substring(9, 12));
      int length = 0;
      for (String line : head.split("\r\n")) {
        if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      byte[] body = new byte[length];
      in.readFully(body);
      return new RefusedUpgrade(status, new String(body, StandardCharsets.UTF_8));
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the handshake: " + head);
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  private void readLoop(DataInputStream in) {
    try {
      while (true) {
        int first = in.readUnsignedByte();
        int second = in.readUnsignedByte();
        long length = second & 0x7F;
        if (length == 126) {
          length = in.readUnsignedShort();
        } else if (length == 127) {
          length = in.readLong();
        }
        byte[] mask = null;
        if ((second & 0x80) != 0) {
          mask = new byte[4];
          in.readFully(mask);
        }
        byte[] payload = new byte[Math.toIntExact(length)];
        in.readFully(payload);
        if (mask != null) {
          for (int i = 0; i < payload.length; i++) {
            payload[i] ^= mask[i % 4];
          }
        }
        frames.add(new Frame(first & 0x0F, payload, System.nanoTime()));
      }
    } catch (IOException | RuntimeException e) {
      frames.add(new Frame(-1, new byte[0], System.nanoTime()));
    }
  }

  /** The next frame the server sent, or null if none came within {@code wait}. */
  public Frame next(Duration wait) {
    try {
      return frames.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Sends one masked text frame, as a client must. */
  public void sendText(String text) throws IOException {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    if (payload.length > 125) {
      throw new IllegalArgumentException("this client only sends short frames");
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    byte[] frame = new byte[2 + 4 + payload.length];
    frame[0] = (byte) (0x80 | TEXT);
    frame[1] = (byte) (0x80 | payload.length);
    System.arraycopy(mask, 0, frame, 2, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
    }
    out.write(frame);
    out.flush();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a test socket
    }
  }
}
