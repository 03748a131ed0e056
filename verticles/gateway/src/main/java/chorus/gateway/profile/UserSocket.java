package chorus.gateway.profile;

import chorus.gateway.auth.Principal;
import chorus.gateway.feed.FeedListener;
import chorus.gateway.feed.ReplyStream;
import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.AppendResult;
import chorus.shared.bus.ArchiveState;
import chorus.shared.bus.CallSignal;
import chorus.shared.bus.CheckMembers;
import chorus.shared.bus.CoMembers;
import chorus.shared.bus.CoMembersRequest;
import chorus.shared.bus.ConnectContext;
import chorus.shared.bus.ConnectContextRequest;
import chorus.shared.bus.LastSeen;
import chorus.shared.bus.LastSeenQuery;
import chorus.shared.bus.MarkRead;
import chorus.shared.bus.Members;
import chorus.shared.bus.PresenceChanged;
import chorus.shared.bus.PresenceQuery;
import chorus.shared.bus.PresenceSnapshot;
import chorus.shared.bus.React;
import chorus.shared.bus.ReactionChanged;
import chorus.shared.bus.ReadReceipt;
import chorus.shared.bus.ReplyFailed;
import chorus.shared.bus.SetArchived;
import chorus.shared.bus.SetStatus;
import chorus.shared.bus.StatusSet;
import chorus.shared.bus.TypingChanged;
import chorus.shared.domain.ActivityStatus;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
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
  private final MessageSender sender;
  private final Uploads uploads;
  private final MessageSearch search;
  private final ReplyControl replies;
  /** Opted in with ?stream=true: assistant_delta frames before each AI new_message. */
  private final boolean streaming;
  private SocketPlumbing plumbing;
  private final ConnectTimer connectTimer;
  private boolean closed;
  /** Presence updates that arrive before online_users was sent; null once it was. */
  private List<PresenceChanged> heldPresence = new ArrayList<>();

  UserSocket(SocketServices services, ServerWebSocket ws, Principal user, UserProfile profile, boolean streaming, ConnectTimer connectTimer) {
    this.services = services;
    this.connectTimer = connectTimer;
    this.ws = ws;
    this.user = user;
    this.profile = profile;
    this.sender = new MessageSender(services);
    this.uploads = new Uploads(services, profile.uploadBudget, user.userId(), sender, joined::containsKey, this::send);
    this.search = new MessageSearch(services.vertx(), services.config().content(), services.requestOptions());
    this.replies = new ReplyControl(services);
    this.streaming = streaming;
    this.typing = new Typing(services.vertx(), services.feeds(), services.config().typingTimeoutMs(), user.userId(), socketId);
  }

  String userId() {
    return user.userId();
  }

  void start() {
    // nothing is read until the socket is admitted (at most limits.maxSocketsPerUser per user, cluster-wide)
    plumbing = SocketPlumbing.attach(services, UserProfile.NAME, ws, socketId, SocketPlumbing.events(this::handleFrame, (code, text) -> error(code, text, null),
        "too many messages in flight on this connection; wait for answers", this::onSocketClosed));
    presence = services.presence().opened(user.userId(), socketId, UserProfile.NAME);
    presence.onSuccess(admitted -> {
      if (!admitted) {
        // the document's answer to a sixth device
        UserProfile.log.info("ws refused profile={} user={} node={} reason=TOO_MANY_CONNECTIONS", UserProfile.NAME, user.userId(), services.config().nodeId());
        error("TOO_MANY_CONNECTIONS", "Too many connections", null);
        ws.close(CloseCodes.POLICY_VIOLATION, "Too many connections");
        return;
      }
      connectTimer.passed(ConnectTimer.SEAT);
      UserProfile.log.info("ws open profile={} user={} node={} socket={}", UserProfile.NAME, user.userId(), services.config().nodeId(), socketId);
      profile.register(this);
      plumbing.resume();
      // this profile's sockets are live once admitted: conversations are joined later, by frame
      connectTimer.live();
      // the document sends the online users it may see on connect
      visibleOnline(null)
          .onSuccess(visible -> send(onlineUsers(visible)))
          .onComplete(ar -> {
            // updates that raced the snapshot follow it, in the order they came
            List<PresenceChanged> early = heldPresence;
            heldPresence = null;
            early.forEach(this::presenceChanged);
          });
    });
  }

  // ---- inbound -------------------------------------------------------------------------

  private Future<Void> handleFrame(JsonObject frame) {
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
      case "set_status" -> setStatus(frame);
      case "archive_conversation" -> withConversation(frame, (id, f) -> archive(id, true));
      case "unarchive_conversation" -> withConversation(frame, (id, f) -> archive(id, false));
      case "stop_generation" -> withConversation(frame, (id, f) -> replyControl(id, f, true));
      case "retry" -> withConversation(frame, (id, f) -> replyControl(id, f, false));
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
        if (CallFrames.TYPES.contains(name)) {
          yield withConversation(frame, (id, f) -> signal(name, id, f));
        }
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
      send(joinedFrame(conversationId, existing.committedSeq, existing.archived));
      return Future.succeededFuture();
    }
    if (joined.size() >= services.config().maxConversationsPerSocket()) {
      error("TOO_MANY_CONVERSATIONS", "leave a conversation before joining another", conversationId.toString());
      return Future.succeededFuture();
    }
    return services.retried()
        .<ConnectContext>ask(Addresses.CONNECT_CONTEXT, new ConnectContextRequest(conversationId, user.userId()))
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
    subscription.archived = context.archivedAt() != null;
    joined.put(conversationId, subscription);
    send(joinedFrame(conversationId, committed, subscription.archived));
    services.feeds().attach(conversationId, committed, subscription).onFailure(e -> {
      if (joined.remove(conversationId, subscription)) {
        subscription.ended();
      }
      error("UNAVAILABLE", "could not subscribe to the conversation; join again", conversationId.toString());
    });
  }

  /** {@code archived}: whether this user archived it (archived conversations can still be joined and receive messages). */
  private JsonObject joinedFrame(UUID conversationId, long committedSeq, boolean archived) {
    return new JsonObject().put("type", "conversation_joined").put("conversation_id", conversationId.toString())
        .put("last_seq", committedSeq).put("archived", archived).put("timestamp", Frames.now());
  }

  /** Archives or unarchives the conversation for this user only; acked with conversation_archived / conversation_unarchived. */
  private Future<Void> archive(UUID conversationId, boolean archived) {
    return services.vertx().eventBus()
        .<ArchiveState>request(Addresses.SET_ARCHIVED, new SetArchived(conversationId, user.userId(), archived), services.requestOptions())
        .map(Message::body)
        .onSuccess(state -> {
          Subscription subscription = joined.get(conversationId);
          if (subscription != null) {
            subscription.archived = state.archived();
          }
          JsonObject ack = new JsonObject().put("type", archived ? "conversation_archived" : "conversation_unarchived")
              .put("conversation_id", conversationId.toString()).put("archived", state.archived()).put("changed", state.changed());
          if (state.archivedAt() != null) {
            ack.put("archived_at", state.archivedAt().toString());
          }
          send(ack.put("timestamp", Frames.now()));
        })
        .onFailure(e -> conversationError(e, conversationId))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /**
   * Relays a WebRTC signalling frame to the conversation's members on every node (or to
   * one member, {@code to_user_id}), never to this socket, never stored. Both the sender
   * and the target are checked to be members on every frame; call_invite creates the call
   * id, which the sender gets back in call_invite_sent.
   */
  private Future<Void> signal(String type, UUID conversationId, JsonObject frame) {
    String id = conversationId.toString();
    CallFrames.Checked call;
    try {
      call = CallFrames.check(type, frame, services.config().maxSdpBytes(), services.config().maxIceCandidateBytes());
    } catch (CallFrames.Refused refused) {
      error(refused.code, refused.getMessage(), id);
      return Future.succeededFuture();
    }
    String toUserId = call.toUserId();
    List<String> asked = toUserId == null ? List.of(user.userId()) : List.of(user.userId(), toUserId);
    return services.vertx().eventBus()
        .<Members>request(Addresses.CHECK_MEMBERS, new CheckMembers(conversationId, asked), services.requestOptions())
        .map(Message::body)
        .onSuccess(members -> {
          if (!members.userIds().contains(user.userId())) {
            error("NOT_FOUND", "conversation not found", id);
          } else if (toUserId != null && !members.userIds().contains(toUserId)) {
            error("NOT_A_MEMBER", "to_user_id is not a member of this conversation", id);
          } else if (!joined.containsKey(conversationId)) {
            error("NOT_JOINED", "join the conversation before calling in it", id);
          } else {
            services.feeds().publishSignal(new CallSignal(conversationId, type, call.callId(), user.userId(), socketId, toUserId, call.fields()));
            if (type.equals("call_invite")) {
              JsonObject sent = new JsonObject().put("type", "call_invite_sent").put("conversation_id", id)
                  .put("call_id", call.callId()).put("media", call.fields().get("media"));
              if (toUserId != null) {
                sent.put("to_user_id", toUserId);
              }
              send(sent.put("timestamp", Frames.now()));
            }
          }
        })
        .onFailure(e -> conversationError(e, conversationId))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** Sets this user's activity status cluster-wide; co-members get one presence_update per change, this socket an ack. */
  private Future<Void> setStatus(JsonObject frame) {
    Object status = frame.getValue("status");
    if (!(status instanceof String text) || !ActivityStatus.VALUES.contains(text)) {
      error("INVALID_STATUS", "status must be one of active, away, dnd", null);
      return Future.succeededFuture();
    }
    return services.vertx().eventBus()
        .<StatusSet>request(Addresses.PRESENCE_SET_STATUS, new SetStatus(user.userId(), text), services.requestOptions())
        .map(Message::body)
        .onSuccess(set -> send(new JsonObject().put("type", "status_updated").put("status", set.status())
            .put("changed", set.changed()).put("timestamp", Frames.now())))
        .onFailure(e -> error("UNAVAILABLE", "presence is not available right now", null))
        .<Void>mapEmpty()
        .otherwiseEmpty();
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
          if (!rateLimited(result, id) && result.duplicate()) {
            send(newMessage(result.message()));
            replies.retryQuietly(conversationId, result.message().id(), user.userId());
          }
        })
        .onFailure(e -> appendFailed(e, conversationId, "PERSONA_NOT_FOUND", "no such persona"))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /**
   * An end-to-end encrypted message: the envelope is stored and delivered as sent, never
   * read. No AI can answer it: no reply job is created, and a persona asked for gets an
   * ENCRYPTED_NO_AI error once the message is stored. Its recipients must be members of the
   * conversation when it is stored (INVALID_RECIPIENT otherwise, nothing stored).
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
          if (rateLimited(result, id)) {
            return;
          }
          if (result.duplicate()) {
            send(newMessage(result.message()));
          }
          if (frame.getValue("persona_id") != null) {
            error("ENCRYPTED_NO_AI", "an AI persona cannot read an encrypted message; it was stored without a reply", id);
          }
        })
        // recipients are checked by the persistence role against the members at the moment of storing
        .onFailure(e -> appendFailed(e, conversationId, "INVALID_RECIPIENT",
            "every recipient of an encrypted message must be a member of the conversation; nothing was stored"))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** True when the allowance was used up (nothing stored, {@code result} null): the client is told, and closed if it keeps going. */
  private boolean rateLimited(AppendResult result, String conversationId) {
    if (result != null) {
      return false;
    }
    error("RATE_LIMITED", "too many messages; slow down and send this one again", conversationId);
    sender.closeIfAbusive(ws);
    return true;
  }

  /** A failed store: an unknown reference is the message's own fault ({@code code}), the rest the conversation's. */
  private void appendFailed(Throwable failure, UUID conversationId, String code, String text) {
    if (Failures.codeOf(failure) == Failures.UNKNOWN_REFERENCE) {
      error(code, text, conversationId.toString());
    } else {
      conversationError(failure, conversationId);
    }
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

  /** stop_generation or retry, for a joined conversation only (membership was checked on join, and is cut on removal). */
  private Future<Void> replyControl(UUID conversationId, JsonObject frame, boolean stop) {
    String id = conversationId.toString();
    if (!joined.containsKey(conversationId)) {
      error("NOT_JOINED", "join the conversation first", id);
      return Future.succeededFuture();
    }
    UUID messageId;
    try {
      messageId = ReplyControl.userMessageId(frame);
    } catch (ReplyControl.InvalidId e) {
      error("INVALID_MESSAGE", e.getMessage(), id);
      return Future.succeededFuture();
    }
    if (stop) {
      replies.stop(conversationId, messageId, user.userId());
      return Future.succeededFuture();
    }
    if (messageId == null) {
      error("INVALID_MESSAGE", "retry needs the message_id of the user message", id);
      return Future.succeededFuture();
    }
    return replies.retry(conversationId, messageId, user.userId())
        .onFailure(e -> {
          JsonObject refusal = e instanceof ReplyControl.Refusal r ? r.frame : Frames.error("UNAVAILABLE", "try again");
          send(refusal.put("conversation_id", id).put("timestamp", Frames.now()));
        })
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
    return visibleOnline(asked).onSuccess(visible -> send(onlineUsers(visible))).<Void>mapEmpty().otherwiseEmpty();
  }

  /**
   * What the caller may see of users sharing a conversation with it (and of itself): who is
   * online, with their activity status, and when the others were last seen.
   */
  private record Visible(List<String> online, Map<String, String> statuses, Map<String, Instant> lastSeen) {
    static final Visible NONE = new Visible(List.of(), Map.of(), Map.of());
  }

  /**
   * The online users among those the caller may see (users sharing a conversation with it,
   * and itself), restricted to {@code asked} when given; and the last seen time of the
   * offline ones (one more query, only when some are offline).
   */
  private Future<Visible> visibleOnline(Set<String> asked) {
    return services.vertx().eventBus()
        .<CoMembers>request(Addresses.CO_MEMBERS, new CoMembersRequest(user.userId()), services.requestOptions())
        .compose(reply -> {
          List<String> visible = new ArrayList<>(reply.body().userIds());
          if (asked != null) {
            visible.add(user.userId());
            visible.retainAll(asked);
          }
          if (visible.isEmpty()) {
            return Future.succeededFuture(Visible.NONE);
          }
          return services.vertx().eventBus()
              .<PresenceSnapshot>request(Addresses.PRESENCE_QUERY, new PresenceQuery(visible), services.requestOptions())
              .map(Message::body)
              .compose(snapshot -> {
                List<String> online = visible.stream().filter(snapshot::isOnline).sorted().toList();
                Map<String, String> statuses = new HashMap<>();
                online.forEach(id -> statuses.put(id, snapshot.statusOf(id)));
                List<String> offline = visible.stream().filter(id -> !snapshot.isOnline(id)).toList();
                if (offline.isEmpty()) {
                  return Future.succeededFuture(new Visible(online, statuses, Map.of()));
                }
                return services.vertx().eventBus()
                    .<LastSeen>request(Addresses.LAST_SEEN, new LastSeenQuery(offline), services.requestOptions())
                    .map(seen -> new Visible(online, statuses, seen.body().byUser()));
              });
        })
        .onFailure(e -> error("UNAVAILABLE", "presence is not available right now", null));
  }

  /** The document's online_users, plus each online user's status and the offline ones' last_seen. */
  private static JsonObject onlineUsers(Visible visible) {
    JsonObject statuses = new JsonObject();
    visible.statuses().forEach(statuses::put);
    JsonObject lastSeen = new JsonObject();
    visible.lastSeen().forEach((id, at) -> lastSeen.put(id, at.toString()));
    return new JsonObject().put("type", "online_users").put("users", new JsonArray(visible.online()))
        .put("statuses", statuses).put("last_seen", lastSeen).put("timestamp", Frames.now());
  }

  // ---- outbound ------------------------------------------------------------------------

  void presenceChanged(PresenceChanged change) {
    if (heldPresence != null) {
      heldPresence.add(change);
    } else if (!change.userId().equals(user.userId())) {
      JsonObject update = new JsonObject().put("type", "presence_update").put("user_id", change.userId()).put("online", change.online());
      if (change.status() != null) {
        update.put("status", change.status());
      }
      if (change.lastSeen() != null) {
        update.put("last_seen", change.lastSeen().toString());
      }
      send(update.put("timestamp", Frames.now()));
    }
  }

  /** The document's new_message, plus role and seq (for order and resume). */
  /** A message fanned out to this node's user-profile sockets is encoded once. */
  private static final EncodedOnce NEW_MESSAGES = new EncodedOnce(UserSocket::newMessage);

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
    plumbing.send(frame);
  }

  /** After the shared clean-up of {@link SocketPlumbing}. */
  private void onSocketClosed() {
    closed = true;
    uploads.discardAll();
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
    /** Null unless the socket streams. */
    final DeltaFrames deltaFrames;
    /** Whether this user has archived the conversation: as of the join, then as changed by any of their devices. */
    boolean archived;

    Subscription(UUID conversationId, long startSeq, long committedSeq, Future<Boolean> viewing) {
      super(startSeq);
      this.conversationId = conversationId;
      this.committedSeq = committedSeq;
      this.viewing = viewing;
      this.deltaFrames = streaming ? new DeltaFrames(conversationId) : null;
    }

    /** Left, removed or closed: stop typing there, unsubscribe, stop counting as a viewer. */
    void ended() {
      stopTyping(conversationId);
      services.feeds().detach(conversationId, this);
      services.presence().viewerLeft(viewing, conversationId, socketId);
    }

    @Override
    protected void onMessage(StoredMessage message) {
      plumbing.sendEncoded(NEW_MESSAGES.text(message));
    }

    @Override
    protected void onTyping(TypingChanged typing) {
      if (!typing.userId().equals(user.userId())) {
        send(new JsonObject().put("type", "typing_indicator").put("conversation_id", conversationId.toString())
            .put("user_id", typing.userId()).put("is_typing", typing.typing()).put("timestamp", Frames.now()));
      }
    }

    @Override
    protected void onReplyText(ReplyStream stream, int index, String text, boolean resumed) {
      if (streaming) {
        plumbing.sendEncoded(deltaFrames.encode(stream, index, text, resumed, Frames.now()));
      }
    }

    @Override
    protected void onConversationEvent(Object event) {
      if (event instanceof ReplyFailed failed) {
        send(ReplyControl.failed(failed).put("timestamp", Frames.now()));
      } else if (event instanceof ReadReceipt receipt) {
        send(new JsonObject().put("type", "read_receipt").put("conversation_id", conversationId.toString())
            .put("user_id", receipt.userId()).put("seq", receipt.lastReadSeq()).put("timestamp", Frames.now()));
      } else if (event instanceof ArchiveState state) {
        // archived from another device or by REST: a later join on this socket reports it
        if (state.userId().equals(user.userId())) {
          archived = state.archived();
        }
      } else if (event instanceof CallSignal signal) {
        // never back to the sending socket; with to_user_id, only that member's sockets
        if (signal.fromSocketId().equals(socketId) || (signal.toUserId() != null && !signal.toUserId().equals(user.userId()))) {
          return;
        }
        JsonObject relayed = new JsonObject().put("type", signal.type()).put("conversation_id", conversationId.toString())
            .put("call_id", signal.callId()).put("from_user_id", signal.fromUserId());
        if (signal.toUserId() != null) {
          relayed.put("to_user_id", signal.toUserId());
        }
        signal.fields().forEach(relayed::put);
        send(relayed.put("timestamp", Frames.now()));
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
