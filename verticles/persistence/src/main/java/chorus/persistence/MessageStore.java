package chorus.persistence;

import static chorus.persistence.RequestFailure.require;

import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.AppendResult;
import chorus.shared.bus.HistoryPage;
import chorus.shared.bus.HistoryRequest;
import chorus.shared.domain.ReservedMeta;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import chorus.shared.bus.LastSeqs;
import chorus.shared.bus.LastSeqsRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/** Writes and reads messages. Each call is one statement, so a successful future means committed. */
final class MessageStore {
  private final Pool pool;
  private final Pool appendPool;
  private final PersistenceConfig config;

  /** @param appendPool the connections appends run on (see PersistenceVerticle) */
  MessageStore(Pool pool, Pool appendPool, PersistenceConfig config) {
    this.pool = pool;
    this.appendPool = appendPool;
    this.config = config;
  }

  /** The index of the conversation id among {@link Sql#APPEND}'s parameters ($2). */
  static final int CONVERSATION_PARAM = 1;

  /**
   * Checks an append request and binds it as {@link Sql#APPEND}'s parameters (fresh ids
   * included, so a statement run again with the same tuple is the same message).
   *
   * @throws RequestFailure when a required field is missing or invalid
   */
  static Tuple appendParams(AppendMessage request) {
    require(request.conversationId(), "conversationId");
    require(request.role(), "role");
    require(request.content(), "content");
    AppendMessage.Attachment file = request.attachment();
    UUID attachmentId = file == null ? null : UUID.randomUUID();
    if (request.usageTokens() < 0) {
      throw RequestFailure.invalid("usageTokens must not be negative");
    }
    Map<String, Object> meta = request.meta();
    if (file != null) {
      require(file.fileName(), "attachment.fileName");
      require(file.contentType(), "attachment.contentType");
      require(file.sha256(), "attachment.sha256");
      require(file.data(), "attachment.data");
      meta = withAttachment(meta, attachmentId, file);
    }
    return Tuple.of(RowIds.next(), request.conversationId(), request.requesterId(),
        request.role().wire(), request.senderId(), request.content(), Rows.json(meta),
        request.clientMessageId(), request.wantsReply(), request.replyToMessageId(), request.replyJobId(),
        request.leaseOwner(), RowIds.next(), request.personaId(),
        attachmentId, file == null ? null : file.fileName(), file == null ? null : file.contentType(),
        file == null ? null : file.sha256(), file == null ? null : Buffer.buffer(file.data()),
        // only an AI reply (a job's answer) counts tokens
        request.replyJobId() == null ? null : request.usageUserId(), request.usageTokens());
  }

  /** Stores one message in one round trip and its own commit; see {@link Sql#APPEND} for the statement's shape. */
  Future<AppendResult> append(Tuple params) {
    return appendPool.preparedQuery(Sql.APPEND).execute(params)
        // a concurrent twin stored the same client id first: run again, now it is found as a duplicate
        .recover(failure -> violated(failure, Sql.CLIENT_ID_CONSTRAINT)
            ? appendPool.preparedQuery(Sql.APPEND).execute(params)
            : Future.failedFuture(failure))
        .recover(failure -> Future.failedFuture(violated(failure, Sql.ONE_REPLY_CONSTRAINT)
            ? RequestFailure.conflict("that message already has a reply")
            : failure))
        .map(MessageStore::appendResult);
  }

  /**
   * Stores several messages in one transaction: the statements are pipelined and share one
   * commit, which is what lets a busy node store more messages per second than it could
   * commit one by one. The outer future fails when the transaction does (nothing of it is
   * stored: the caller runs each one on its own); an outcome that is not a stored message
   * (a duplicate, a non-member...) fails only its own inner future, as {@link #append} would.
   */
  Future<List<Future<AppendResult>>> appendAll(List<Tuple> batch) {
    return inOneRoundTrip(connection -> connection.preparedQuery(Sql.APPEND).executeBatch(batch)).map(first -> {
      List<Future<AppendResult>> results = new ArrayList<>(batch.size());
      for (RowSet<Row> rows = first; rows != null; rows = rows.next()) {
        try {
          results.add(Future.succeededFuture(appendResult(rows)));
        } catch (RuntimeException e) {
          results.add(Future.failedFuture(e));
        }
      }
      return results;
    });
  }

  /**
   * Whether {@link Sql#APPEND_MANY} can store this append: a message that is not an AI
   * reply, names no persona, carries no envelope, file or quoted reply, and counts no usage.
   * What it checks beyond that (membership, idempotency) both statements check alike.
   */
  static boolean plain(Tuple params) {
    Object meta = params.getValue(6);
    return params.getValue(9) == null && params.getValue(10) == null && params.getValue(13) == null
        && params.getValue(14) == null && params.getValue(19) == null
        && !(meta instanceof JsonObject json && json.containsKey("encrypted"));
  }

  /**
   * Stores plain appends ({@link #plain}) in one transaction: their conversations locked in
   * id order, then one {@link Sql#APPEND_MANY}, pipelined. The outer future fails when the
   * transaction does (nothing stored); otherwise one entry per append, in order: its stored
   * result, or null when it was not stored (a duplicate, a non-member, no such conversation:
   * {@link #append} says which).
   */
  Future<List<AppendResult>> appendPlain(List<Tuple> batch) {
    int size = batch.size();
    UUID[] ids = new UUID[size];
    UUID[] conversations = new UUID[size];
    String[] requesters = new String[size];
    String[] roles = new String[size];
    String[] senders = new String[size];
    String[] contents = new String[size];
    String[] metas = new String[size];
    String[] clientIds = new String[size];
    Boolean[] wantsReply = new Boolean[size];
    UUID[] jobIds = new UUID[size];
    for (int i = 0; i < size; i++) {
      Tuple params = batch.get(i);
      ids[i] = params.getUUID(0);
      conversations[i] = params.getUUID(1);
      requesters[i] = params.getString(2);
      roles[i] = params.getString(3);
      senders[i] = params.getString(4);
      contents[i] = params.getString(5);
      metas[i] = ((JsonObject) params.getValue(6)).encode();
      clientIds[i] = params.getString(7);
      wantsReply[i] = params.getBoolean(8);
      jobIds[i] = params.getUUID(12);
    }
    UUID[] locked = Arrays.stream(conversations).distinct().sorted().toArray(UUID[]::new);
    return inOneRoundTrip(connection -> {
      Future<RowSet<Row>> locks = connection.preparedQuery(Sql.LOCK_CONVERSATIONS).execute(Tuple.of(locked));
      Future<RowSet<Row>> stored = connection.preparedQuery(Sql.APPEND_MANY).execute(Tuple.of(ids, conversations, requesters,
          roles, senders, contents, metas, clientIds, wantsReply, jobIds));
      return Future.all(locks, stored).map(both -> stored.result());
    }).map(rows -> {
      Map<UUID, AppendResult> byId = new HashMap<>();
      for (Row row : rows) {
        byId.put(row.getUUID("id"), new AppendResult(Rows.message(row, ""), false, row.getUUID("reply_job_id")));
      }
      List<AppendResult> results = new ArrayList<>(size);
      for (UUID id : ids) {
        results.add(byId.get(id));
      }
      return results;
    });
  }

  /**
   * Runs a batch's statements as one transaction in one round trip: BEGIN, the statements
   * and COMMIT are written to the connection together (the client pipelines them in order).
   * {@code Pool.withTransaction} waits for BEGIN's answer before the statements and for
   * theirs before COMMIT: two more trips through this node's event loop, during which the
   * batch's conversation rows stay locked. {@code statements} must send every statement
   * before it returns (none may wait on another's result). When one fails, PostgreSQL
   * ignores the rest, answers COMMIT by rolling back, and the future fails with that
   * failure: nothing of the batch is stored. The connection goes back to the pool only once
   * COMMIT is answered, so it is never lent out inside the transaction.
   */
  private <T> Future<T> inOneRoundTrip(Function<SqlConnection, Future<T>> statements) {
    return appendPool.withConnection(connection -> {
      Future<RowSet<Row>> begin = connection.query("BEGIN").execute();
      Future<T> result;
      String end = "COMMIT";
      try {
        result = statements.apply(connection);
      } catch (RuntimeException e) {
        // some statements may have been sent: none of them may commit
        result = Future.failedFuture(e);
        end = "ROLLBACK";
      }
      Future<RowSet<Row>> ended = connection.query(end).execute();
      Future<T> stored = result;
      return Future.join(begin, stored, ended).map(all -> stored.result());
    });
  }

  /** The message's meta.attachment describes the file stored with it: written here, from the file itself. */
  private static Map<String, Object> withAttachment(Map<String, Object> meta, UUID attachmentId, AppendMessage.Attachment file) {
    Map<String, Object> attachment = new LinkedHashMap<>();
    attachment.put("id", attachmentId.toString());
    attachment.put("file_name", file.fileName());
    attachment.put("content_type", file.contentType());
    attachment.put("size", file.data().length);
    attachment.put("sha256", file.sha256());
    Map<String, Object> withFile = new LinkedHashMap<>(meta == null ? Map.of() : meta);
    withFile.put(ReservedMeta.ATTACHMENT, attachment);
    return withFile;
  }

  private static AppendResult appendResult(RowSet<Row> rows) {
    Row row = rows.iterator().next(); // the statement always returns exactly one row
    return switch (row.getString("outcome")) {
      case "stored" -> new AppendResult(Rows.message(row, ""), false, row.getUUID("reply_job_id"));
      case "duplicate" -> new AppendResult(Rows.message(row, ""), true, row.getUUID("reply_job_id"));
      case "not_held" -> throw RequestFailure.conflict("the reply job is finished or leased to another node");
      case "persona_not_found" -> throw new RequestFailure(Failures.UNKNOWN_REFERENCE, "no such persona");
      case "invalid_recipient" -> throw new RequestFailure(Failures.UNKNOWN_REFERENCE,
          "an encrypted message's recipients must be members of the conversation");
      default -> throw RequestFailure.notFound("no such conversation");
    };
  }

  /**
   * A page of history by seq. Forward (after a seq, or from the start) unless only
   * {@code beforeSeq} is given. One extra row is fetched to learn whether more exist.
   */
  Future<HistoryPage> history(HistoryRequest request) {
    require(request.conversationId(), "conversationId");
    int limit = config.historyLimit(request.limit());
    boolean backward = request.beforeSeq() != null && request.afterSeq() == null;
    long lower = request.afterSeq() == null ? 0L : request.afterSeq();
    long upper = request.beforeSeq() == null ? Long.MAX_VALUE : request.beforeSeq();
    Tuple params = Tuple.of(request.conversationId(), request.requesterId(), lower, upper, limit + 1);
    return pool.preparedQuery(backward ? Sql.HISTORY_BACKWARD : Sql.HISTORY_FORWARD).execute(params)
        .map(rows -> {
          if (rows.size() == 0) {
            throw RequestFailure.notFound("no such conversation");
          }
          List<StoredMessage> messages = new ArrayList<>(rows.size());
          for (Row row : rows) {
            if (Rows.hasMessage(row, "m_")) {
              messages.add(Rows.message(row, "m_"));
            }
          }
          boolean hasMore = messages.size() > limit;
          if (hasMore) {
            // the extra row is the one farthest in the direction walked
            messages.remove(backward ? 0 : messages.size() - 1);
          }
          return new HistoryPage(List.copyOf(messages), hasMore);
        });
  }

  Future<LastSeqs> lastSeqs(LastSeqsRequest request) {
    require(request.conversationIds(), "conversationIds");
    if (request.conversationIds().isEmpty()) {
      return Future.succeededFuture(new LastSeqs(Map.of()));
    }
    return pool.preparedQuery(Sql.LAST_SEQS).execute(Tuple.of(request.conversationIds().toArray(UUID[]::new))).map(rows -> {
      Map<UUID, Long> lastSeqs = new HashMap<>();
      rows.forEach(row -> lastSeqs.put(row.getUUID("id"), row.getLong("last_seq")));
      return new LastSeqs(lastSeqs);
    });
  }

  static boolean violated(Throwable failure, String constraint) {
    return failure instanceof PgException pg && "23505".equals(pg.getSqlState()) && constraint.equals(pg.getConstraint());
  }
}
