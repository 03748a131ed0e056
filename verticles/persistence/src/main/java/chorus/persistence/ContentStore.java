package chorus.persistence;

import static chorus.persistence.RequestFailure.require;

import chorus.shared.Failures;
import chorus.shared.bus.AttachmentFile;
import chorus.shared.bus.FetchAttachment;
import chorus.shared.bus.PublishKey;
import chorus.shared.bus.SearchMessages;
import chorus.shared.bus.SearchResults;
import chorus.shared.bus.UserKeys;
import chorus.shared.bus.UserKeysRequest;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading attachments (they are stored with their message, see MessageStore), the public-key
 * directory and message search: one statement per request, except a key publish (see there).
 */
final class ContentStore {
  /** A sanity bound for callers that forget to clamp: the gateway clamps to search.maxResults. */
  private static final int MAX_SEARCH_LIMIT = 1000;

  private final Pool pool;

  ContentStore(Pool pool) {
    this.pool = pool;
  }

  Future<AttachmentFile> fetchAttachment(FetchAttachment request) {
    require(request.attachmentId(), "attachmentId");
    require(request.requesterId(), "requesterId");
    return pool.preparedQuery(Sql.FETCH_ATTACHMENT).execute(Tuple.of(request.attachmentId(), request.requesterId())).map(rows -> {
      if (rows.size() == 0) {
        throw RequestFailure.notFound("no such attachment");
      }
      Row row = rows.iterator().next();
      if (!row.getBoolean("allowed")) {
        throw new RequestFailure(Failures.FORBIDDEN, "not a member of the attachment's conversation");
      }
      return new AttachmentFile(row.getUUID("id"), row.getUUID("conversation_id"), row.getString("file_name"),
          row.getString("content_type"), row.getLong("size"), row.getBuffer("data").getBytes());
    });
  }

  /**
   * Answers with the user's keys as stored: the one published. The one request here that is
   * not a single statement: the user's row is locked first (see {@link Sql#LOCK_KEY_OWNER}),
   * so that concurrent publishes cannot go over the cap together. Publishing a key is rare.
   */
  Future<UserKeys> publishKey(PublishKey request) {
    require(request.userId(), "userId");
    require(request.keyId(), "keyId");
    require(request.algorithm(), "algorithm");
    require(request.publicKey(), "publicKey");
    return pool.withTransaction(connection -> connection.preparedQuery(Sql.LOCK_KEY_OWNER)
        .execute(Tuple.of(request.userId(), request.userName(), null))
        .compose(locked -> connection.preparedQuery(Sql.PUBLISH_KEY).execute(Tuple.of(request.userId(), request.keyId(),
            request.algorithm(), request.publicKey(), request.maxKeys())))
        .map(rows -> {
          if (rows.size() == 0) {
            throw RequestFailure.conflict("at most " + request.maxKeys() + " keys per user; replace one by its key_id");
          }
          return new UserKeys(request.userId(), List.of(key(rows.iterator().next())));
        }));
  }

  Future<UserKeys> userKeys(UserKeysRequest request) {
    require(request.requesterId(), "requesterId");
    require(request.userId(), "userId");
    return pool.preparedQuery(Sql.USER_KEYS).execute(Tuple.of(request.requesterId(), request.userId())).map(rows -> {
      List<UserKeys.Key> keys = new ArrayList<>();
      for (Row row : rows) {
        if (!row.getBoolean("visible")) {
          // a stranger's keys do not exist for the caller: the same answer as an unknown user
          throw RequestFailure.notFound("no such user");
        }
        if (row.getString("key_id") != null) {
          keys.add(key(row));
        }
      }
      return new UserKeys(request.userId(), List.copyOf(keys));
    });
  }

  Future<SearchResults> search(SearchMessages request) {
    require(request.requesterId(), "requesterId");
    require(request.query(), "query");
    if (request.limit() < 1 || request.limit() > MAX_SEARCH_LIMIT) {
      throw RequestFailure.invalid("limit must be between 1 and " + MAX_SEARCH_LIMIT);
    }
    if ((request.beforeCreatedAt() == null) != (request.beforeId() == null)) {
      throw RequestFailure.invalid("a cursor has both a time and an id");
    }
    OffsetDateTime before = request.beforeCreatedAt() == null ? null : request.beforeCreatedAt().atOffset(ZoneOffset.UTC);
    Tuple params = Tuple.of(request.requesterId(), request.query(), request.conversationId(), before, request.beforeId(),
        request.limit() + 1);
    return pool.preparedQuery(Sql.SEARCH_MESSAGES).execute(params).map(rows -> {
      List<SearchResults.Hit> hits = new ArrayList<>(rows.size());
      for (Row row : rows) {
        hits.add(new SearchResults.Hit(Rows.message(row, "m_"), row.getString("snippet")));
      }
      boolean hasMore = hits.size() > request.limit();
      if (hasMore) {
        hits.remove(hits.size() - 1);
      }
      return new SearchResults(List.copyOf(hits), hasMore);
    });
  }

  private static UserKeys.Key key(Row row) {
    return new UserKeys.Key(row.getString("key_id"), row.getString("algorithm"), row.getString("public_key"),
        row.getOffsetDateTime("created_at").toInstant(), row.getOffsetDateTime("updated_at").toInstant());
  }
}
