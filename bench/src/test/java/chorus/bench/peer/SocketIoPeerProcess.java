package chorus.bench.peer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/** The real Socket.IO peer (node bench/peers/socketio/server.js) as a child process of a test. */
final class SocketIoPeerProcess implements AutoCloseable {
  /** Surefire runs with the bench module as working directory. */
  static final Path PEER_DIR = Path.of("peers", "socketio").toAbsolutePath();

  private final Process process;
  private final int port;

  private SocketIoPeerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts server.js on a free port with the given extra environment; waits for "listening <port>". */
  static SocketIoPeerProcess start(Map<String, String> env) throws Exception {
    if (!Files.isDirectory(PEER_DIR.resolve("node_modules").resolve("socket.io"))) {
      throw new AssertionError("the Socket.IO peer's dependencies are not installed: run "
          + "bench/peers/socketio/install.sh (scripts/test does) before the bench tests");
    }
    ProcessBuilder builder = new ProcessBuilder("node", "server.js")
        .directory(PEER_DIR.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put("PORT", "0");
    builder.environment().putAll(env);
    Process process = builder.start();
    CompletableFuture<Integer> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.startsWith("listening ")) {
            listening.complete(Integer.parseInt(line.substring("listening ".length()).trim()));
          }
        }
        listening.completeExceptionally(new AssertionError("server.js exited before listening"));
      } catch (IOException e) {
        listening.completeExceptionally(e);
      }
    }, "socketio-peer-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      return new SocketIoPeerProcess(process, listening.get(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      process.destroyForcibly();
      throw new AssertionError("the Socket.IO peer did not start: " + e, e);
    }
  }

  /** Starts {@code count} processes at the same moment; all or none (the started are stopped). */
  static List<SocketIoPeerProcess> startTogether(Map<String, String> env, int count) throws Exception {
    List<CompletableFuture<SocketIoPeerProcess>> starting = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      starting.add(CompletableFuture.supplyAsync(() -> {
        try {
          return start(env);
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      }));
    }
    List<SocketIoPeerProcess> started = new ArrayList<>();
    Throwable failure = null;
    for (CompletableFuture<SocketIoPeerProcess> future : starting) {
      try {
        started.add(future.get(60, TimeUnit.SECONDS));
      } catch (Exception e) {
        failure = e.getCause() != null ? e.getCause() : e;
      }
    }
    if (failure != null) {
      for (SocketIoPeerProcess process : started) {
        process.close();
      }
      throw new AssertionError("the Socket.IO peers did not all start: " + failure, failure);
    }
    return started;
  }

  int port() {
    return port;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy(); // SIGTERM: server.js closes its sockets and its pool
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
