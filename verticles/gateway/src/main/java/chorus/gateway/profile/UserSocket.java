package chorus.gateway.profile;

import chorus.gateway.auth.Principal;
import chorus.gateway.feed.FeedListener;
import chorus.gateway.socket.BoundedWriter;
import chorus.gateway.socket.Heartbeat;
import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.CoMembers;
import chorus.shared.bus.CoMembersRequest;
import chorus.shared.bus.ConnectContext;
import chorus.shared.bus.ConnectContextRequest;
import chorus.shared.bus.MarkRead;
import chorus.shared.bus.PresenceChanged;
import chorus.shared.bus.React;
import chorus.shared.bus.ReactionChanged;
import chorus.shared.bus.ReadReceipt;
import chorus.shared.bus.PresenceQuery;
import chorus.shared.bus.PresenceSnapshot;
import chorus.shared.bus.TypingChanged;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * One device of the user profile: joins any of the user's conversations (membership is
 * checked by the database on join and on every send), receives their messages in seq order
 * (resuming after {@code last_seq} when asked), typing of the other members and presence of
 * the users it shares a conversation with. Frames are handled one after another.
 */
final class UserSocket {
  private static final int MAX_USER_IDS = 500;

  private final SocketServices services;
  private final ServerWebSocket ws;
  private final Principal user;
  private final UserProfile profile;
  private final String socketId = UUID.randomUUID().toString();
  private final Map<UUID, Subscription> joined = new HashMap<>();
  private final Typing typing;
  private Future<Boolean> presence = Future.succeededFuture(false);
  private BoundedWriter writer;
  private Heartbeat heartbeat;
  private final FrameQueue inbound;
  private final MessageSender sender;
  private final Uploads uploads;
  private final MessageSearch search;
  private boolean closed;

  UserSocket(SocketServices services, ServerWebSocket ws, Principal user, UserProfile profile) {
    this.services = services;
    this.ws = ws;
    this.user = user;
    this.profile = profile;
    this.inbound = new FrameQueue(services.config().maxPendingFrames());
    this.sender = new MessageSender(services);
    this.uploads = new Uploads(services, profile.uploadBudget, user.userId(), sender, joined::containsKey, this::send);
    this.search = new MessageSearch(services.vertx(), services.config().content(), services.requestOptions());
    this.typing = new Typing(services.vertx(), services.feeds(), services.config().typingTimeoutMs(), user.userId(), socketId);
  }

  String userId() {
    return user.userId();
  }

  void start() {
    // nothing is read until the socket is admitted (at most limits.maxSocketsPerUser per user, cluster-wide)
    ws.pause();
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(this::onBinary);
    ws.exceptionHandler(this::onSocketError);
    ws.closeHandler(v -> onClosed());
    writer = BoundedWriter.attach(services.vertx(), ws, services.config().socketLimits());
    heartbeat = Heartbeat.attach(services.vertx(), ws, services.config().socketLimits());
    presence = services.presence().opened(user.userId(), socketId, UserProfile.NAME);
    presence.onSuccess(admitted -> {
      if (!admitted) {
        // the document's answer to a sixth device
        UserProfile.log.info("ws refused profile={} user={} node={} reason=TOO_MANY_CONNECTIONS", UserProfile.NAME, user.userId(), services.config().nodeId());
        error("TOO_MANY_CONNECTIONS", "Too many connections", null);
        ws.close(CloseCodes.POLICY_VIOLATION, "Too many connections");
        return;
      }
      UserProfile.log.info("ws open profile={} user={} node={} socket={}", UserProfile.NAME, user.userId(), services.config().nodeId(), socketId);
      profile.register(this);
      ws.resume();
      // the document sends the online users it may see on connect
      visibleOnline(null).onSuccess(users -> send(onlineUsers(users)));
    });
  }

  // ---- inbound -------------------------------------------------------------------------

  private void onText(String text) {
    if (!inbound.offer(() -> handleText(text))) {
      error("BUSY", "too many messages in flight on this connection; wait for answers", null);
    }
  }

  private Future<Void> handleText(String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      error("INVALID_JSON", "frame is not a JSON object", null);
      return Future.succeededFuture();
    }
    Object type = frame.getValue("type");
    if (!(type instanceof String name)) {
      error("UNKNOWN_TYPE", "missing message type", null);
      return Future.succeededFuture();
    }
    return switch (name) {
      case "join_conversation" -> withConversation(frame, this::join);
      case "leave_conversation" -> withConversation(frame, (id, f) -> leave(id));
      case "send_message" -> withConversation(frame, this::sendMessage);
      case "typing_start" -> withConversation(frame, (id, f) -> typing(id, true));
      case "typing_stop" -> withConversation(frame, (id, f) -> typing(id, false));
      case "get_online_status" -> onlineStatus(frame);
      case "mark_read" -> withConversation(frame, this::markRead);
      case "add_reaction" -> withConversation(frame, (id, f) -> react(id, f, true));
      case "remove_reaction" -> withConversation(frame, (id, f) -> react(id, f, false));
      case "upload_start" -> withConversation(frame, uploads::start);
      case "upload_chunk" -> uploads.chunk(frame);
      case "upload_complete" -> uploads.complete(frame);
      case "upload_cancel" -> uploads.cancel(frame);
      case "search_messages" -> searchMessages(frame);
      case "ping" -> {
        send(new JsonObject().put("type", "pong").put("timestamp", Frames.now()));
        yield Future.succeededFuture();
      }
      default -> {
        error("UNKNOWN_TYPE", "unknown message type: " + (name.length() > 64 ? name.substring(0, 64) + "..." : name), null);
        yield Future.succeededFuture();
      }
    };
  }

  private interface ConversationFrame {
    Future<Void> handle(UUID conversationId, JsonObject frame);
  }

  private Future<Void> withConversation(JsonObject frame, ConversationFrame handler) {
    Object id = frame.getValue("conversation_id");
    UUID conversationId = null;
    if (id instanceof String text) {
      try {
        conversationId = UUID.fromString(text);
      } catch (IllegalArgumentException ignored) {
        // an id that is not a UUID cannot name a conversation: answered as not found below
      }
    }
    if (id == null) {
      error("INVALID_MESSAGE", "conversation_id is required", null);
      return Future.succeededFuture();
    }
    if (conversationId == null) {
      error("NOT_FOUND", "conversation not found", String.valueOf(id));
      return Future.succeededFuture();
    }
    return handler.handle(conversationId, frame);
  }

  private Future<Void> join(UUID conversationId, JsonObject frame) {
    Object lastSeqValue = frame.getValue("last_seq");
    if (lastSeqValue != null && !(lastSeqValue instanceof Number number && number.longValue() >= 0)) {
      error("INVALID_MESSAGE", "last_seq must be a non-negative integer", conversationId.toString());
      return Future.succeededFuture();
    }
    Subscription existing = joined.get(conversationId);
    if (existing != null) {
      send(joinedFrame(conversationId, existing.committedSeq));
      return Future.succeededFuture();
    }
    if (joined.size() >= services.config().maxConversationsPerSocket()) {
      error("TOO_MANY_CONVERSATIONS", "leave a conversation before joining another", conversationId.toString());
      return Future.succeededFuture();
    }
    return services.vertx().eventBus()
        .<ConnectContext>request(Addresses.CONNECT_CONTEXT, new ConnectContextRequest(conversationId, user.userId()), services.requestOptions())
        .map(Message::body)
        .compose(context -> {
          Future<Boolean> viewing = services.presence().viewerJoined(conversationId, user.userId(), socketId);
          return viewing.map(admitted -> {
            if (!admitted) {
              error("CONVERSATION_FULL", "too many connections on this conversation", conversationId.toString());
            } else if (closed || joined.containsKey(conversationId)) {
              services.presence().viewerLeft(viewing, conversationId, socketId);
            } else {
              subscribe(context, lastSeqValue, viewing);
            }
            return null;
          });
        })
        .onFailure(e -> conversationError(e, conversationId))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  private void subscribe(ConnectContext context, Object lastSeqValue, Future<Boolean> viewing) {
    UUID conversationId = context.conversation().id();
    long committed = context.conversation().lastSeq();
    long start = lastSeqValue == null ? committed : Math.min(((Number) lastSeqValue).longValue(), committed);
    Subscription subscription = new Subscription(conversationId, start, committed, viewing);
    joined.put(conversationId, subscription);
    send(joinedFrame(conversationId, committed));
    services.feeds().attach(conversationId, committed, subscription).onFailure(e -> {
      if (joined.remove(conversationId, subscription)) {
        subscription.ended();
      }
      error("UNAVAILABLE", "could not subscribe to the conversation; join again", conversationId.toString());
    });
  }

  private JsonObject joinedFrame(UUID conversationId, long committedSeq) {
    return new JsonObject().put("type", "conversation_joined").put("conversation_id", conversationId.toString())
        .put("last_seq", committedSeq).put("timestamp", Frames.now());
  }

  private Future<Void> leave(UUID conversationId) {
    Subscription subscription = joined.remove(conversationId);
    if (subscription != null) {
      subscription.ended();
    }
    send(new JsonObject().put("type", "conversation_left").put("conversation_id", conversationId.toString()).put("timestamp", Frames.now()));
    return Future.succeededFuture();
  }

  private Future<Void> sendMessage(UUID conversationId, JsonObject frame) {
    String id = conversationId.toString();
    if (!joined.containsKey(conversationId)) {
      error("NOT_JOINED", "join the conversation before sending to it", id);
      return Future.succeededFuture();
    }
    if (frame.getValue("encrypted") != null) {
      return sendEncrypted(conversationId, frame);
    }
    MessageRules.Problem problem = MessageRules.content(frame.getValue("content"), services.config().maxContentChars());
    if (problem != null) {
      error(problem.code(), problem.text(), id);
      return Future.succeededFuture();
    }
    UUID personaId = null;
    Object persona = frame.getValue("persona_id");
    if (persona != null) {
      try {
        personaId = UUID.fromString((String) persona);
      } catch (ClassCastException | IllegalArgumentException e) {
        error("PERSONA_NOT_FOUND", "no such persona", id);
        return Future.succeededFuture();
      }
    }
    problem = MessageRules.clientMessageId(frame.getValue("message_id"));
    if (problem != null) {
      error(problem.code(), problem.text(), id);
      return Future.succeededFuture();
    }
    stopTyping(conversationId);
    AppendMessage append = AppendMessage.fromUser(conversationId, user.userId(), frame.getString("content"), frame.getString("message_id"), personaId);
    return sender.send(append)
        .onSuccess(result -> {
          if (result == null) {
            error("RATE_LIMITED", "too many messages; slow down and send this one again", id);
            if (sender.abusive()) {
              ws.close(CloseCodes.POLICY_VIOLATION, "rate limit exceeded");
            }
          } else if (result.duplicate()) {
            send(newMessage(result.message()));
          }
        })
        .onFailure(e -> {
          if (Failures.codeOf(e) == Failures.UNKNOWN_REFERENCE) {
            error("PERSONA_NOT_FOUND", "no such persona", id);
          } else {
            conversationError(e, conversationId);
          }
        })
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /**
   * An end-to-end encrypted message: the envelope is stored and delivered as sent, never
   * read. No AI can answer it: no reply job is created, and a persona asked for gets an
   * ENCRYPTED_NO_AI error once the message is stored.
   */
  private Future<Void> sendEncrypted(UUID conversationId, JsonObject frame) {
    String id = conversationId.toString();
    if (frame.getValue("content") != null) {
      error("INVALID_MESSAGE", "send content or encrypted, not both", id);
      return Future.succeededFuture();
    }
    Envelopes.Checked envelope = Envelopes.check(frame.getValue("encrypted"), services.config().content());
    MessageRules.Problem problem = envelope.problem() != null ? envelope.problem() : MessageRules.clientMessageId(frame.getValue("message_id"));
    if (problem != null) {
      error(problem.code(), problem.text(), id);
      return Future.succeededFuture();
    }
    stopTyping(conversationId);
    AppendMessage append = new AppendMessage(conversationId, user.userId(), chorus.shared.domain.Role.USER, user.userId(), "",
        Map.of(chorus.shared.domain.ReservedMeta.ENCRYPTED, envelope.envelope()), frame.getString("message_id"), false, null, null, null);
    return sender.send(append)
        .onSuccess(result -> {
          if (result == null) {
            error("RATE_LIMITED", "too many messages; slow down and send this one again", id);
            if (sender.abusive()) {
              ws.close(CloseCodes.POLICY_VIOLATION, "rate limit exceeded");
            }
            return;
          }
          if (result.duplicate()) {
            send(newMessage(result.message()));
          }
          if (frame.getValue("persona_id") != null) {
            error("ENCRYPTED_NO_AI", "an AI persona cannot read an encrypted message; it was stored without a reply", id);
          }
        })
        .onFailure(e -> conversationError(e, conversationId))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  private Future<Void> searchMessages(JsonObject frame) {
    return search.search(user.userId(), frame.getValue("query"), frame.getValue("conversation_id"), frame.getValue("limit"),
            frame.getValue("before"))
        .onSuccess(results -> send(results.put("type", "search_results").put("query", frame.getValue("query")).put("timestamp", Frames.now())))
        .onFailure(e -> {
          if (e instanceof MessageSearch.Refused refused) {
            error(refused.code, refused.getMessage(), null);
          } else {
            UserProfile.log.warn("search failed: {}", e.toString());
            error("UNAVAILABLE", "search is not available right now; try again", null);
          }
        })
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** Moves the caller's read mark forward; the other members' joined sockets get a read_receipt. */
  private Future<Void> markRead(UUID conversationId, JsonObject frame) {
    if (!(frame.getValue("seq") instanceof Number seq) || seq.longValue() < 0) {
      error("INVALID_MESSAGE", "seq must be a non-negative integer", conversationId.toString());
      return Future.succeededFuture();
    }
    return services.vertx().eventBus()
        .request(Addresses.MARK_READ, new MarkRead(conversationId, user.userId(), seq.longValue()), services.requestOptions())
        .onFailure(e -> conversationError(e, conversationId))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  private Future<Void> react(UUID conversationId, JsonObject frame, boolean add) {
    String id = conversationId.toString();
    Object emoji = frame.getValue("emoji");
    UUID messageId;
    try {
      messageId = UUID.fromString((String) frame.getValue("message_id"));
    } catch (ClassCastException | IllegalArgumentException | NullPointerException e) {
      error("INVALID_MESSAGE", "message_id must be the id of a message", id);
      return Future.succeededFuture();
    }
    if (!(emoji instanceof String text) || text.isBlank() || text.codePointCount(0, text.length()) > 32) {
      error("INVALID_MESSAGE", "emoji must be a non-empty string of at most 32 characters", id);
      return Future.succeededFuture();
    }
    return services.vertx().eventBus()
        .request(Addresses.REACT, new React(conversationId, messageId, user.userId(), text, add), services.requestOptions())
        .onFailure(e -> {
          if (Failures.codeOf(e) == Failures.NOT_FOUND) {
            error("NOT_FOUND", "no such message in a conversation of yours", id);
          } else {
            conversationError(e, conversationId);
          }
        })
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** Coalescing and expiry are {@link Typing}'s, shared with the conversation profile. */
  private Future<Void> typing(UUID conversationId, boolean start) {
    if (!joined.containsKey(conversationId)) {
      error("NOT_JOINED", "join the conversation first", conversationId.toString());
      return Future.succeededFuture();
    }
    if (start) {
      typing.start(conversationId);
    } else {
      typing.stop(conversationId);
    }
    return Future.succeededFuture();
  }

  private void stopTyping(UUID conversationId) {
    typing.stop(conversationId);
  }

  private Future<Void> onlineStatus(JsonObject frame) {
    Object ids = frame.getValue("user_ids");
    if (!(ids instanceof JsonArray array) || array.size() > MAX_USER_IDS || !array.stream().allMatch(String.class::isInstance)) {
      error("INVALID_MESSAGE", "user_ids must be an array of at most " + MAX_USER_IDS + " user ids", null);
      return Future.succeededFuture();
    }
    Set<String> asked = new HashSet<>();
    array.forEach(id -> asked.add((String) id));
    return visibleOnline(asked).onSuccess(users -> send(onlineUsers(users))).<Void>mapEmpty().otherwiseEmpty();
  }

  /**
   * The online users among those the caller may see (users sharing a conversation with it,
   * and itself), restricted to {@code asked} when given.
   */
  private Future<List<String>> visibleOnline(Set<String> asked) {
    return services.vertx().eventBus()
        .<CoMembers>request(Addresses.CO_MEMBERS, new CoMembersRequest(user.userId()), services.requestOptions())
        .compose(reply -> {
          List<String> visible = new ArrayList<>(reply.body().userIds());
          if (asked != null) {
            visible.add(user.userId());
            visible.retainAll(asked);
          }
          if (visible.isEmpty()) {
            return Future.succeededFuture(List.<String>of());
          }
          return services.vertx().eventBus()
              .<PresenceSnapshot>request(Addresses.PRESENCE_QUERY, new PresenceQuery(visible), services.requestOptions())
              .map(snapshot -> visible.stream().filter(snapshot.body()::isOnline).sorted().toList());
        })
        .onFailure(e -> error("UNAVAILABLE", "presence is not available right now", null));
  }

  private static JsonObject onlineUsers(List<String> users) {
    return new JsonObject().put("type", "online_users").put("users", new JsonArray(users)).put("timestamp", Frames.now());
  }

  private void onBinary(Buffer ignored) {
    error("UNSUPPORTED_FRAME", "binary frames are not supported; send JSON text frames", null);
  }

  private void onSocketError(Throwable failure) {
    if (MessageRules.tooBig(failure)) {
      ws.close(CloseCodes.MESSAGE_TOO_BIG, "message too big");
    }
  }

  // ---- outbound ------------------------------------------------------------------------

  void presenceChanged(PresenceChanged change) {
    if (!change.userId().equals(user.userId())) {
      send(new JsonObject().put("type", "presence_update").put("user_id", change.userId())
          .put("online", change.online()).put("timestamp", Frames.now()));
    }
  }

  /** The document's new_message, plus role and seq (for order and resume). */
  private static JsonObject newMessage(StoredMessage message) {
    return new JsonObject().put("type", "new_message").put("conversation_id", message.conversationId().toString())
        .put("message", Frames.userMessage(message)).put("timestamp", Frames.now());
  }

  private void conversationError(Throwable e, UUID conversationId) {
    if (Failures.codeOf(e) == Failures.NOT_FOUND) {
      error("NOT_FOUND", "conversation not found", conversationId.toString());
    } else {
      UserProfile.log.warn("request for conversation {} failed: {}", conversationId, e.toString());
      error("UNAVAILABLE", "the request could not be completed; try again", conversationId.toString());
    }
  }

  private void error(String code, String text, String conversationId) {
    services.meters().errorFrame(UserProfile.NAME, code);
    JsonObject frame = Frames.error(code, text).put("timestamp", Frames.now());
    if (conversationId != null) {
      frame.put("conversation_id", conversationId);
    }
    send(frame);
  }

  private void send(JsonObject frame) {
    if (!closed && !ws.isClosed()) {
      writer.writeText(frame.encode());
    }
  }

  private void onClosed() {
    if (closed) {
      return;
    }
    closed = true;
    heartbeat.cancel();
    uploads.discardAll();
    services.sockets().release(ws);
    for (UUID conversationId : List.copyOf(joined.keySet())) {
      joined.remove(conversationId).ended();
    }
    profile.unregister(this);
    services.presence().closed(presence, user.userId(), socketId);
    UserProfile.log.info("ws close profile={} user={} node={} socket={} code={}", UserProfile.NAME, user.userId(),
        services.config().nodeId(), socketId, ws.closeStatusCode());
  }

  /** This socket's stream of one conversation. */
  private final class Subscription extends FeedListener {
    final UUID conversationId;
    final long committedSeq;
    final Future<Boolean> viewing;

    Subscription(UUID conversationId, long startSeq, long committedSeq, Future<Boolean> viewing) {
      super(startSeq);
      this.conversationId = conversationId;
      this.committedSeq = committedSeq;
      this.viewing = viewing;
    }

    /** Left, removed or closed: stop typing there, unsubscribe, stop counting as a viewer. */
    void ended() {
      stopTyping(conversationId);
      services.feeds().detach(conversationId, this);
      services.presence().viewerLeft(viewing, conversationId, socketId);
    }

    @Override
    protected void onMessage(StoredMessage message) {
      send(newMessage(message));
    }

    @Override
    protected void onTyping(TypingChanged typing) {
      if (!typing.userId().equals(user.userId())) {
        send(new JsonObject().put("type", "typing_indicator").put("conversation_id", conversationId.toString())
            .put("user_id", typing.userId()).put("is_typing", typing.typing()).put("timestamp", Frames.now()));
      }
    }

    @Override
    protected void onConversationEvent(Object event) {
      if (event instanceof ReadReceipt receipt) {
        send(new JsonObject().put("type", "read_receipt").put("conversation_id", conversationId.toString())
            .put("user_id", receipt.userId()).put("seq", receipt.lastReadSeq()).put("timestamp", Frames.now()));
      } else if (event instanceof ReactionChanged reaction) {
        send(new JsonObject().put("type", "reaction_update").put("conversation_id", conversationId.toString())
            .put("message_id", reaction.messageId().toString()).put("user_id", reaction.userId())
            .put("emoji", reaction.emoji()).put("added", reaction.added()).put("timestamp", Frames.now()));
      }
    }

    @Override
    protected void onMemberRemoved(String userId) {
      if (userId.equals(user.userId()) && joined.remove(conversationId, this)) {
        ended();
        error("REMOVED_FROM_CONVERSATION", "you are no longer a member of this conversation", conversationId.toString());
      }
    }
  }
}
