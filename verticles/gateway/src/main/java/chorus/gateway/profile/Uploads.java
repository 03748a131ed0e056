package chorus.gateway.profile;

import chorus.gateway.ContentConfig;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A user socket's file uploads. Chunks arrive as base64 in JSON frames, strictly in order;
 * a file lives in memory on this node, tied to the socket, until its last chunk: bounded by
 * {@code uploads.maxFileBytes} per upload, {@code uploads.maxConcurrentPerSocket} per
 * socket and {@code uploads.maxBufferedBytesPerNode} for the whole node ({@link UploadBudget});
 * only the bytes actually received are held. Nothing reaches the database
 * before {@code upload_complete}; an upload that goes quiet for {@code uploads.idleTimeoutMs},
 * or whose socket closes, is discarded. On completion the file is stored (persistence role)
 * and a message carrying it is appended like any other: {@code new_message} to every member.
 */
final class Uploads {
  private static final Pattern CONTENT_TYPE = Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final int MAX_FILE_NAME_CHARS = 255;

  private final SocketServices services;
  private final UploadBudget budget;
  private final ContentConfig limits;
  private final String userId;
  private final MessageSender sender;
  private final Predicate<UUID> joined;
  private final Consumer<JsonObject> out;
  private final Map<String, Upload> uploads = new HashMap<>();

  Uploads(SocketServices services, UploadBudget budget, String userId, MessageSender sender, Predicate<UUID> joined, Consumer<JsonObject> out) {
    this.services = services;
    this.budget = budget;
    this.limits = services.config().content();
    this.userId = userId;
    this.sender = sender;
    this.joined = joined;
    this.out = out;
  }

  private final class Upload {
    final String id = UUID.randomUUID().toString();
    final UUID conversationId;
    final String fileName;
    final String contentType;
    final long size;
    final String expectedSha256;
    final String clientMessageId;
    final Buffer data = Buffer.buffer();
    final MessageDigest digest = sha256();
    long idleTimer = -1;

    Upload(UUID conversationId, String fileName, String contentType, long size, String expectedSha256, String clientMessageId) {
      this.conversationId = conversationId;
      this.fileName = fileName;
      this.contentType = contentType;
      this.size = size;
      this.expectedSha256 = expectedSha256;
      this.clientMessageId = clientMessageId;
    }

    void touch() {
      if (idleTimer >= 0) {
        services.vertx().cancelTimer(idleTimer);
      }
      idleTimer = services.vertx().setTimer(limits.uploadIdleTimeoutMs(), t -> {
        if (uploads.remove(id, this)) {
          discard();
          error("UPLOAD_EXPIRED", "no chunk for " + limits.uploadIdleTimeoutMs() + " ms; the upload was discarded", this);
        }
      });
    }

    void stopTimer() {
      if (idleTimer >= 0) {
        services.vertx().cancelTimer(idleTimer);
        idleTimer = -1;
      }
    }

    /** Stops the idle timer and gives the bytes held back to the node's budget. */
    void discard() {
      stopTimer();
      budget.release(data.length());
    }
  }

  Future<Void> start(UUID conversationId, JsonObject frame) {
    String conversation = conversationId.toString();
    if (!joined.test(conversationId)) {
      return problem("NOT_JOINED", "join the conversation before uploading to it", conversation);
    }
    if (!(frame.getValue("file_name") instanceof String fileName) || fileName.isBlank() || fileName.length() > MAX_FILE_NAME_CHARS
        || fileName.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '/' || c == '\\')) {
      return problem("INVALID_MESSAGE", "file_name must be 1 to " + MAX_FILE_NAME_CHARS
          + " characters, without path separators or control characters", conversation);
    }
    String contentType = frame.getValue("content_type") instanceof String text ? text.trim().toLowerCase(Locale.ROOT) : "";
    if (!CONTENT_TYPE.matcher(contentType).matches()) {
      return problem("INVALID_MESSAGE", "content_type must be a media type such as image/png", conversation);
    }
    if (!limits.contentTypeAllowed(contentType)) {
      return problem("CONTENT_TYPE_NOT_ALLOWED", "files of type " + contentType + " may not be uploaded", conversation);
    }
    if (!(frame.getValue("size") instanceof Number size) || size.longValue() < 1 || size.doubleValue() != size.longValue()) {
      return problem("INVALID_MESSAGE", "size must be the file's size in bytes, at least 1", conversation);
    }
    if (size.longValue() > limits.maxFileBytes()) {
      return problem("FILE_TOO_LARGE", "files are at most " + limits.maxFileBytes() + " bytes", conversation);
    }
    Object sha = frame.getValue("sha256");
    if (sha != null && !(sha instanceof String hex && SHA256.matcher(hex.toLowerCase(Locale.ROOT)).matches())) {
      return problem("INVALID_MESSAGE", "sha256 must be 64 hexadecimal digits", conversation);
    }
    MessageRules.Problem clientId = MessageRules.clientMessageId(frame.getValue("message_id"));
    if (clientId != null) {
      return problem(clientId.code(), clientId.text(), conversation);
    }
    if (uploads.size() >= limits.maxUploadsPerSocket()) {
      return problem("TOO_MANY_UPLOADS", "at most " + limits.maxUploadsPerSocket() + " uploads at once on one connection", conversation);
    }
    Upload upload = new Upload(conversationId, fileName, contentType, size.longValue(),
        sha == null ? null : ((String) sha).toLowerCase(Locale.ROOT), frame.getString("message_id"));
    uploads.put(upload.id, upload);
    upload.touch();
    out.accept(frame(upload, "upload_ready").put("chunk_size", limits.chunkBytes()).put("max_file_bytes", limits.maxFileBytes())
        .put("idle_timeout_ms", limits.uploadIdleTimeoutMs()));
    return Future.succeededFuture();
  }

  Future<Void> chunk(JsonObject frame) {
    Upload upload = find(frame);
    if (upload == null) {
      return Future.succeededFuture();
    }
    if (!(frame.getValue("offset") instanceof Number offset) || offset.longValue() != upload.data.length()) {
      error("UPLOAD_BAD_OFFSET", "chunks are sent in order; the next offset is " + upload.data.length(), upload,
          f -> f.put("expected_offset", upload.data.length()));
      return Future.succeededFuture();
    }
    byte[] bytes;
    try {
      bytes = frame.getValue("data") instanceof String text ? Base64.getDecoder().decode(text) : null;
    } catch (IllegalArgumentException e) {
      bytes = null;
    }
    if (bytes == null || bytes.length == 0) {
      error("UPLOAD_BAD_DATA", "data must be non-empty standard base64", upload);
      return Future.succeededFuture();
    }
    if (bytes.length > limits.chunkBytes()) {
      error("UPLOAD_CHUNK_TOO_LARGE", "a chunk is at most " + limits.chunkBytes() + " bytes", upload);
      return Future.succeededFuture();
    }
    if (upload.data.length() + bytes.length > upload.size) {
      error("UPLOAD_TOO_LARGE", "the chunk goes past the announced size of " + upload.size + " bytes", upload);
      return Future.succeededFuture();
    }
    if (!budget.take(bytes.length)) {
      error("UPLOADS_BUSY", "this node holds too many unfinished uploads; send this chunk again in a moment", upload,
          f -> f.put("expected_offset", upload.data.length()));
      return Future.succeededFuture();
    }
    upload.data.appendBytes(bytes);
    upload.digest.update(bytes);
    upload.touch();
    out.accept(frame(upload, "upload_progress").put("received", upload.data.length()).put("size", upload.size));
    return Future.succeededFuture();
  }

  Future<Void> cancel(JsonObject frame) {
    Upload upload = find(frame);
    if (upload != null) {
      uploads.remove(upload.id);
      upload.discard();
      out.accept(frame(upload, "upload_cancelled"));
    }
    return Future.succeededFuture();
  }

  /**
   * All bytes are there: check the checksum, then (allowance first, like any message) append
   * the message that carries the file, the file stored in the same transaction. The upload
   * leaves the socket now, whatever happens next: a failed store is retried by uploading again.
   * A repeated {@code message_id} stores nothing: upload_stored names the message (and file)
   * stored the first time.
   */
  Future<Void> complete(JsonObject frame) {
    Upload upload = find(frame);
    if (upload == null) {
      return Future.succeededFuture();
    }
    if (upload.data.length() != upload.size) {
      error("UPLOAD_INCOMPLETE", "received " + upload.data.length() + " of " + upload.size + " bytes", upload,
          f -> f.put("expected_offset", upload.data.length()));
      return Future.succeededFuture();
    }
    uploads.remove(upload.id);
    upload.stopTimer();
    String sha = HexFormat.of().formatHex(upload.digest.digest());
    if (upload.expectedSha256 != null && !upload.expectedSha256.equals(sha)) {
      upload.discard();
      error("UPLOAD_CHECKSUM_MISMATCH", "the file's SHA-256 is " + sha + ", not the one announced; the upload was discarded", upload);
      return Future.succeededFuture();
    }
    String conversation = upload.conversationId.toString();
    // the file and its message are stored in one transaction: both or neither, never a file nobody refers to;
    // a file is not something the bot answers: no reply is asked for
    AppendMessage append = AppendMessage.fileFromUser(upload.conversationId, userId, upload.clientMessageId,
        new AppendMessage.Attachment(upload.fileName, upload.contentType, sha, upload.data.getBytes()));
    return sender.send(append)
        .onSuccess(result -> {
          if (result == null) {
            error("RATE_LIMITED", "too many messages; upload the file again a little later", upload);
          } else {
            JsonObject message = Frames.userMessage(result.message());
            out.accept(frame(upload, "upload_stored").put("attachment", message.getJsonObject("attachment")).put("message", message));
          }
        })
        .onFailure(e -> {
          if (Failures.codeOf(e) == Failures.NOT_FOUND) {
            error("NOT_FOUND", "conversation not found", upload);
          } else {
            UserProfile.log.warn("storing an upload for conversation {} failed: {}", conversation, e.toString());
            error("UNAVAILABLE", "the file could not be stored; upload it again", upload);
          }
        })
        // the bytes stay held until the store is over, stored or not
        .onComplete(ar -> upload.discard())
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** The socket closed: every upload in progress is dropped, nothing was stored. */
  void discardAll() {
    uploads.values().forEach(Upload::discard);
    uploads.clear();
  }

  private Upload find(JsonObject frame) {
    Object id = frame.getValue("upload_id");
    Upload upload = id instanceof String text ? uploads.get(text) : null;
    if (upload == null) {
      JsonObject error = Frames.error("UPLOAD_NOT_FOUND", "no upload in progress on this connection has that upload_id")
          .put("timestamp", Frames.now());
      if (id instanceof String text && text.length() <= 64) {
        error.put("upload_id", text);
      }
      out.accept(error);
    }
    return upload;
  }

  private static JsonObject frame(Upload upload, String type) {
    return new JsonObject().put("type", type).put("upload_id", upload.id).put("conversation_id", upload.conversationId.toString())
        .put("timestamp", Frames.now());
  }

  private void error(String code, String text, Upload upload) {
    error(code, text, upload, f -> {});
  }

  private void error(String code, String text, Upload upload, Consumer<JsonObject> extra) {
    JsonObject error = Frames.error(code, text).put("upload_id", upload.id)
        .put("conversation_id", upload.conversationId.toString()).put("timestamp", Frames.now());
    extra.accept(error);
    out.accept(error);
  }

  private Future<Void> problem(String code, String text, String conversationId) {
    out.accept(Frames.error(code, text).put("conversation_id", conversationId).put("timestamp", Frames.now()));
    return Future.succeededFuture();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
