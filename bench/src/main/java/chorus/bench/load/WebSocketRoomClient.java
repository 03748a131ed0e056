package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.http.WebSocket;

/**
 * What the clients speaking over one plain WebSocket share: the socket, the receiver index,
 * and whether it is still open (cleared by the close handler their connect sets).
 */
abstract class WebSocketRoomClient implements RoomClient {
  protected final int index;
  protected final WebSocket ws;
  protected volatile boolean open = true;

  protected WebSocketRoomClient(int index, WebSocket ws) {
    this.index = index;
    this.ws = ws;
  }

  @Override
  public Future<Void> close() {
    open = false;
    return ws.close();
  }

  @Override
  public int index() {
    return index;
  }

  @Override
  public boolean isOpen() {
    return open;
  }
}
