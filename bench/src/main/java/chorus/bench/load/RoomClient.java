package chorus.bench.load;

import io.vertx.core.Future;

/**
 * One benchmark socket on one target (Chorus, Socket.IO, raw broadcast): joins rooms, sends
 * messages, and reports acknowledgements and deliveries to the run's {@link Tracker}.
 */
public interface RoomClient {

  /** Joins the room (a conversation for Chorus); completes when the server confirmed it. */
  Future<Void> join(String room);

  /** Sends the message to the room; the answer and the copies arrive through the tracker. */
  void send(String room, Payload payload);

  Future<Void> close();

  /** Which receiver this is, for the duplicate check. */
  int index();

  /** False once the socket closed (for whatever reason). */
  boolean isOpen();
}
