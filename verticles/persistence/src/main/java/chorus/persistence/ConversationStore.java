package chorus.persistence;

import static chorus.persistence.RequestFailure.require;

import chorus.shared.bus.ArchiveState;
import chorus.shared.bus.ChangeMembership;
import chorus.shared.bus.CheckMembers;
import chorus.shared.bus.ConversationList;
import chorus.shared.bus.LastSeen;
import chorus.shared.bus.LastSeenQuery;
import chorus.shared.bus.ListConversations;
import chorus.shared.bus.Members;
import chorus.shared.bus.RecordLastSeen;
import chorus.shared.bus.SetArchived;
import chorus.shared.bus.CoMembers;
import chorus.shared.bus.CoMembersRequest;
import chorus.shared.bus.ConnectContext;
import chorus.shared.bus.ConversationMembers;
import chorus.shared.bus.ConversationMembersRequest;
import chorus.shared.bus.MarkRead;
import chorus.shared.bus.MembershipChanged;
import chorus.shared.bus.React;
import chorus.shared.bus.ReactionChanged;
import chorus.shared.bus.ReadReceipt;
import chorus.shared.bus.ConnectContextRequest;
import chorus.shared.bus.CreateBot;
import chorus.shared.bus.CreateConversation;
import chorus.shared.bus.Ping;
import chorus.shared.domain.Bot;
import chorus.shared.domain.Conversation;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.UUID;

/** Users, bots and conversations: set-up calls and the context a socket loads once. */
final class ConversationStore {
  private final Pool pool;

  ConversationStore(Pool pool) {
    this.pool = pool;
  }

  Future<ConnectContext> connectContext(ConnectContextRequest request) {
    require(request.conversationId(), "conversationId");
    require(request.userId(), "userId");
    return pool.preparedQuery(Sql.CONNECT_CONTEXT).execute(Tuple.of(request.conversationId(), request.userId()))
        .map(rows -> {
          Row row = single(rows, "no such conversation");
          return new ConnectContext(Rows.user(row, "u_"), Rows.conversation(row, "c_"), Rows.bot(row, "b_"),
              instant(row.getOffsetDateTime("cm_archived_at")));
        });
  }

  Future<Bot> createBot(CreateBot request) {
    require(request.ownerId(), "ownerId");
    require(request.name(), "name");
    require(request.kind(), "kind");
    Tuple params = Tuple.of(request.ownerId(), request.ownerName(), request.ownerRole(), UUID.randomUUID(),
        request.name(), request.kind().wire(), request.personality(), Rows.json(request.settings()), request.isPublic());
    return pool.preparedQuery(Sql.CREATE_BOT).execute(params).map(rows -> Rows.bot(single(rows, "bot not created"), ""));
  }

  Future<Conversation> createConversation(CreateConversation request) {
    require(request.ownerId(), "ownerId");
    require(request.botId(), "botId");
    // UUID.randomUUID is version 4 from a SecureRandom: a survey conversation's id is its capability
    Tuple params = Tuple.of(request.ownerId(), request.ownerName(), request.ownerRole(), UUID.randomUUID(),
        request.botId(), request.title()).addValue(request.customerId()).addValue(request.customerName())
        .addValue(request.customerEmail()).addValue(RowIds.next()); // a survey's first question, a message
    return pool.preparedQuery(Sql.CREATE_CONVERSATION).execute(params)
        .map(rows -> Rows.conversation(single(rows, "no such bot"), ""));
  }

  /** Adds or removes a member; see {@link Sql#ADD_MEMBER}. */
  Future<MembershipChanged> changeMembership(ChangeMembership request) {
    require(request.conversationId(), "conversationId");
    require(request.requesterId(), "requesterId");
    require(request.userId(), "userId");
    Tuple params = Tuple.of(request.conversationId(), request.requesterId(), request.userId());
    return pool.preparedQuery(request.add() ? Sql.ADD_MEMBER : Sql.REMOVE_MEMBER).execute(params).map(rows -> {
      Row row = rows.iterator().next();
      if (row.getLong("found") == 0) {
        throw RequestFailure.notFound("no such conversation");
      }
      return new MembershipChanged(request.conversationId(), request.userId(), request.add(), row.getLong("changed") > 0);
    });
  }

  Future<CoMembers> coMembers(CoMembersRequest request) {
    require(request.userId(), "userId");
    return pool.preparedQuery(Sql.CO_MEMBERS).execute(Tuple.of(request.userId())).map(rows -> {
      List<String> users = new ArrayList<>(rows.size());
      rows.forEach(row -> users.add(row.getString(0)));
      return new CoMembers(List.copyOf(users));
    });
  }

  Future<ConversationMembers> members(ConversationMembersRequest request) {
    require(request.conversationId(), "conversationId");
    return pool.preparedQuery(Sql.CONVERSATION_MEMBERS).execute(Tuple.of(request.conversationId())).map(rows -> {
      List<String> users = new ArrayList<>(rows.size());
      rows.forEach(row -> users.add(row.getString(0)));
      return new ConversationMembers(request.conversationId(), List.copyOf(users));
    });
  }

  Future<ReadReceipt> markRead(MarkRead request) {
    require(request.conversationId(), "conversationId");
    require(request.userId(), "userId");
    return pool.preparedQuery(Sql.MARK_READ).execute(Tuple.of(request.conversationId(), request.userId(), request.seq())).map(rows -> {
      Row row = rows.iterator().next();
      if (row.getLong("found") == 0) {
        throw RequestFailure.notFound("no such conversation");
      }
      return new ReadReceipt(request.conversationId(), request.userId(), row.getLong("last_read_seq"), row.getLong("changed") > 0);
    });
  }

  Future<ReactionChanged> react(React request) {
    require(request.conversationId(), "conversationId");
    require(request.messageId(), "messageId");
    require(request.userId(), "userId");
    require(request.emoji(), "emoji");
    Tuple params = Tuple.of(request.conversationId(), request.messageId(), request.userId(), request.emoji());
    return pool.preparedQuery(request.add() ? Sql.ADD_REACTION : Sql.REMOVE_REACTION).execute(params).map(rows -> {
      Row row = rows.iterator().next();
      if (row.getLong("found") == 0) {
        throw RequestFailure.notFound("no such message");
      }
      return new ReactionChanged(request.conversationId(), request.messageId(), request.userId(), request.emoji(), request.add(),
          row.getLong("changed") > 0);
    });
  }

  Future<Ping> recordLastSeen(RecordLastSeen request) {
    require(request.userIds(), "userIds");
    require(request.at(), "at");
    if (request.userIds().isEmpty()) {
      return Future.succeededFuture(new Ping());
    }
    Tuple params = Tuple.of(request.userIds().toArray(String[]::new), OffsetDateTime.ofInstant(request.at(), ZoneOffset.UTC));
    return pool.preparedQuery(Sql.RECORD_LAST_SEEN).execute(params).map(rows -> new Ping());
  }

  Future<LastSeen> lastSeen(LastSeenQuery request) {
    require(request.userIds(), "userIds");
    if (request.userIds().isEmpty()) {
      return Future.succeededFuture(new LastSeen(Map.of()));
    }
    return pool.preparedQuery(Sql.LAST_SEEN).execute(Tuple.of((Object) request.userIds().toArray(String[]::new))).map(rows -> {
      Map<String, Instant> byUser = new HashMap<>();
      rows.forEach(row -> byUser.put(row.getString("id"), instant(row.getOffsetDateTime("last_seen_at"))));
      return new LastSeen(byUser);
    });
  }

  /** See {@link Sql#SET_ARCHIVED}: a non-member is NOT_FOUND. */
  Future<ArchiveState> setArchived(SetArchived request) {
    require(request.conversationId(), "conversationId");
    require(request.userId(), "userId");
    Tuple params = Tuple.of(request.conversationId(), request.userId(), request.archived());
    return pool.preparedQuery(Sql.SET_ARCHIVED).execute(params).map(rows -> {
      Row row = rows.iterator().next();
      if (row.getLong("found") == 0) {
        throw RequestFailure.notFound("no such conversation");
      }
      Instant archivedAt = instant(row.getOffsetDateTime("archived_at"));
      return new ArchiveState(request.conversationId(), request.userId(), archivedAt != null, archivedAt, row.getLong("changed") > 0);
    });
  }

  Future<ConversationList> listConversations(ListConversations request) {
    require(request.userId(), "userId");
    if (request.limit() < 1 || request.offset() < 0) {
      throw RequestFailure.invalid("limit must be positive and offset not negative");
    }
    Tuple params = Tuple.of(request.userId(), request.archived(), request.limit() + 1, request.offset());
    return pool.preparedQuery(Sql.LIST_CONVERSATIONS).execute(params).map(rows -> {
      List<ConversationList.Entry> page = new ArrayList<>();
      for (Row row : rows) {
        if (page.size() < request.limit()) {
          page.add(new ConversationList.Entry(Rows.conversation(row, "c_"), instant(row.getOffsetDateTime("m_archived_at"))));
        }
      }
      return new ConversationList(List.copyOf(page), rows.size() > request.limit());
    });
  }

  Future<Members> checkMembers(CheckMembers request) {
    require(request.conversationId(), "conversationId");
    require(request.userIds(), "userIds");
    Tuple params = Tuple.of(request.conversationId(), (Object) request.userIds().toArray(String[]::new));
    return pool.preparedQuery(Sql.CHECK_MEMBERS).execute(params).map(rows -> {
      List<String> members = new ArrayList<>(rows.size());
      rows.forEach(row -> members.add(row.getString("user_id")));
      return new Members(List.copyOf(members));
    });
  }

  private static Instant instant(OffsetDateTime value) {
    return value == null ? null : value.toInstant();
  }

  Future<Ping> ping() {
    return pool.query(Sql.PING).execute().map(rows -> new Ping());
  }

  /** The one row a lookup by key returns; none means NOT_FOUND (missing and not-yours look the same). */
  private static Row single(RowSet<Row> rows, String notFound) {
    if (rows.size() == 0) {
      throw RequestFailure.notFound(notFound);
    }
    return rows.iterator().next();
  }
}
