package chorus.node;

import static chorus.node.support.UserProfileClients.join;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.UserProfileClients;
import chorus.node.support.UserProfileClients.Member;
import chorus.node.support.WsClient;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Seed 002's file uploads, end-to-end encrypted messages and message search, on the user
 * profile (/ws/auth) and REST, through real sockets on different nodes of a real cluster.
 */
class ContentExtrasTest {
  static final int MAX_FILE = 200_000;
  static final int CHUNK = 32_768;
  /** Unfinished upload bytes a node may hold; only the budget test uploads on node 1. */
  static final int NODE_BUDGET = 120_000;
  static TestCluster cluster;
  static UserProfileClients users;
  static HttpClient raw;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(2, config -> {
      config.getJsonObject("uploads").put("maxFileBytes", MAX_FILE).put("maxConcurrentPerSocket", 2)
          .put("idleTimeoutMs", 1500).put("allowedContentTypes", "text/plain,image/*,application/octet-stream")
          .put("maxBufferedBytesPerNode", NODE_BUDGET);
      config.getJsonObject("e2e").put("maxEnvelopeBytes", 4096).put("maxRecipients", 4);
      config.getJsonObject("search").put("maxResults", 3).put("defaultResults", 2).put("maxQueryChars", 40);
    });
    raw = cluster.clients().createHttpClient(new HttpClientOptions().setKeepAlive(false));
    users = new UserProfileClients(cluster);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static JsonObject error(WsClient ws, String code) {
    JsonObject frame = ws.next("error");
    assertEquals(code, frame.getString("code"), frame::encode);
    return frame;
  }

  static JsonArray history(int node, String conversationId, Member member) {
    TestCluster.HttpResult result = cluster.get(node, "/api/v1/conversations/" + conversationId + "/messages", member.token());
    assertEquals(200, result.status(), () -> result.body().encode());
    return result.body().getJsonArray("messages");
  }

  record Download(int status, byte[] body, MultiMap headers) {}

  static Download download(int node, String url, Member member) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(cluster.node(node).httpPort())
        .setURI(url).putHeader("Authorization", "Bearer " + member.token());
    Future<Download> result = raw.request(options).compose(request -> request.send())
        .compose(response -> response.body().map(body -> new Download(response.statusCode(), body.getBytes(), response.headers())));
    return Await.result(result);
  }

  // ---- uploads ---------------------------------------------------------------------------

  @Test
  void aChunkSizeWhoseFrameWouldNotFitTheFrameLimitIsRefusedAtStartUp() {
    JsonObject config = TestCluster.testConfig();
    chorus.gateway.GatewayConfig.from(config); // the defaults fit
    config.getJsonObject("uploads").put("chunkBytes", 49_000);
    IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> chorus.gateway.GatewayConfig.from(config));
    assertTrue(refused.getMessage().contains("uploads.chunkBytes"), refused.getMessage());
  }

  static JsonObject startUpload(WsClient ws, String conversationId, String name, String type, long size, String sha) {
    JsonObject frame = new JsonObject().put("type", "upload_start").put("conversation_id", conversationId)
        .put("file_name", name).put("content_type", type).put("size", size);
    if (sha != null) {
      frame.put("sha256", sha);
    }
    ws.send(frame);
    return frame;
  }

  static void chunk(WsClient ws, String uploadId, long offset, byte[] data) {
    ws.send(new JsonObject().put("type", "upload_chunk").put("upload_id", uploadId).put("offset", offset)
        .put("data", Base64.getEncoder().encodeToString(data)));
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  @Test
  void aFileUploadedOnOneNodeReachesAMemberOnAnotherAndDownloadsByteForByte() throws Exception {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, false, bob);
    WsClient a = users.connect(0, alice);
    WsClient b = users.connect(1, bob);
    join(a, conversationId);
    join(b, conversationId);

    byte[] file = new byte[CHUNK * 2 + 1234];
    new Random(7).nextBytes(file);
    startUpload(a, conversationId, "Résumé \"final\".bin", "application/octet-stream", file.length, sha256(file));
    JsonObject ready = a.next("upload_ready");
    assertEquals(CHUNK, ready.getInteger("chunk_size"));
    String uploadId = ready.getString("upload_id");
    for (int offset = 0; offset < file.length; offset += CHUNK) {
      byte[] part = java.util.Arrays.copyOfRange(file, offset, Math.min(file.length, offset + CHUNK));
      chunk(a, uploadId, offset, part);   // a full chunk's frame (base64 + JSON) fits the 64 KiB frame limit
      assertEquals(offset + part.length, a.next("upload_progress").getLong("received"));
    }
    // nothing is a message before upload_complete
    b.expectSilence(java.time.Duration.ofMillis(300));
    assertTrue(history(1, conversationId, bob).isEmpty());
    a.send(new JsonObject().put("type", "upload_complete").put("upload_id", uploadId));

    JsonObject onB = b.next("new_message").getJsonObject("message");
    JsonObject attachment = onB.getJsonObject("attachment");
    assertEquals("Résumé \"final\".bin", attachment.getString("file_name"));
    assertEquals("application/octet-stream", attachment.getString("content_type"));
    assertEquals(file.length, attachment.getLong("size"));
    assertEquals(alice.id(), onB.getString("sender_id"));
    assertEquals(1L, onB.getLong("seq"));
    String url = attachment.getString("url");
    assertEquals("/api/v1/attachments/" + attachment.getString("id"), url);
    JsonObject first = a.next();
    JsonObject second = a.next();
    List<String> types = List.of(first.getString("type"), second.getString("type"));
    assertTrue(types.containsAll(List.of("upload_stored", "new_message")), types::toString);
    JsonObject stored = "upload_stored".equals(first.getString("type")) ? first : second;
    assertEquals(uploadId, stored.getString("upload_id"));
    assertEquals(attachment.getString("id"), stored.getJsonObject("attachment").getString("id"));

    Download got = download(1, url, bob);
    assertEquals(200, got.status());
    assertArrayEquals(file, got.body());
    assertEquals("application/octet-stream", got.headers().get("content-type"));
    String disposition = got.headers().get("content-disposition");
    assertTrue(disposition.startsWith("attachment; filename=\"R_sum_ _final_.bin\""), disposition);
    assertTrue(disposition.contains("filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.bin"), disposition);
    assertEquals("nosniff", got.headers().get("x-content-type-options"));

    // a later message follows the file in seq order, on both nodes
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("content", "did you get it?"));
    assertEquals(2L, b.next("new_message").getJsonObject("message").getLong("seq"));
    JsonArray messages = history(0, conversationId, alice);
    assertEquals(2, messages.size());
    assertEquals(attachment.getString("id"), messages.getJsonObject(0).getJsonObject("attachment").getString("id"));
    a.close();
    b.close();
  }

  @Test
  void aNonMemberCannotDownload() throws Exception {
    Member alice = users.member();
    Member stranger = users.member();
    String conversationId = users.conversation(alice, false);
    WsClient a = users.connect(0, alice);
    join(a, conversationId);
    byte[] file = "hello, file".getBytes();
    startUpload(a, conversationId, "hello.txt", "text/plain", file.length, null);
    String uploadId = a.next("upload_ready").getString("upload_id");
    chunk(a, uploadId, 0, file);
    a.next("upload_progress");
    a.send(new JsonObject().put("type", "upload_complete").put("upload_id", uploadId));
    String url = a.next("new_message").getJsonObject("message").getJsonObject("attachment").getString("url");
    a.next("upload_stored");

    assertArrayEquals(file, download(1, url, alice).body());
    Download refused = download(1, url, stranger);
    assertEquals(403, refused.status());
    assertEquals("FORBIDDEN", new JsonObject(Buffer.buffer(refused.body())).getString("code"));
    Download missing = download(0, "/api/v1/attachments/" + UUID.randomUUID(), alice);
    assertEquals(404, missing.status());
    assertEquals("NOT_FOUND", new JsonObject(Buffer.buffer(missing.body())).getString("code"));
    a.close();
  }

  @Test
  void badUploadsGetErrorsAndNothingPartialIsEverStored() throws Exception {
    Member alice = users.member();
    String conversationId = users.conversation(alice, false);
    WsClient a = users.connect(0, alice);
    startUpload(a, conversationId, "a.txt", "text/plain", 10, null);
    error(a, "NOT_JOINED");
    join(a, conversationId);
    startUpload(a, conversationId, "a.exe", "application/x-msdownload", 10, null);
    error(a, "CONTENT_TYPE_NOT_ALLOWED");
    startUpload(a, conversationId, "big.txt", "text/plain", MAX_FILE + 1, null);
    error(a, "FILE_TOO_LARGE");
    startUpload(a, conversationId, "../etc/passwd", "text/plain", 10, null);
    error(a, "INVALID_MESSAGE");

    byte[] file = new byte[CHUNK + 10];
    new Random(3).nextBytes(file);
    startUpload(a, conversationId, "photo.png", "image/png", file.length, sha256(new byte[] {1}));
    String uploadId = a.next("upload_ready").getString("upload_id");
    chunk(a, uploadId, 5, new byte[] {1, 2});
    assertEquals(0L, error(a, "UPLOAD_BAD_OFFSET").getLong("expected_offset"));
    a.send(new JsonObject().put("type", "upload_chunk").put("upload_id", uploadId).put("offset", 0).put("data", "not base64!"));
    error(a, "UPLOAD_BAD_DATA");
    chunk(a, uploadId, 0, new byte[CHUNK + 1]);
    error(a, "UPLOAD_CHUNK_TOO_LARGE");
    chunk(a, uploadId, 0, java.util.Arrays.copyOf(file, CHUNK));
    a.next("upload_progress");
    chunk(a, uploadId, CHUNK, new byte[11]);
    error(a, "UPLOAD_TOO_LARGE");
    a.send(new JsonObject().put("type", "upload_complete").put("upload_id", uploadId));
    assertEquals((long) CHUNK, error(a, "UPLOAD_INCOMPLETE").getLong("expected_offset"));

    // a second upload at once is fine, a third is over maxConcurrentPerSocket
    startUpload(a, conversationId, "two.txt", "text/plain", 3, null);
    String second = a.next("upload_ready").getString("upload_id");
    startUpload(a, conversationId, "three.txt", "text/plain", 3, null);
    error(a, "TOO_MANY_UPLOADS");
    a.send(new JsonObject().put("type", "upload_cancel").put("upload_id", second));
    assertEquals(second, a.next("upload_cancelled").getString("upload_id"));

    // the announced checksum does not match: discarded
    chunk(a, uploadId, CHUNK, java.util.Arrays.copyOfRange(file, CHUNK, file.length));
    a.next("upload_progress");
    a.send(new JsonObject().put("type", "upload_complete").put("upload_id", uploadId));
    error(a, "UPLOAD_CHECKSUM_MISMATCH");
    chunk(a, uploadId, 0, new byte[] {1});
    assertEquals(uploadId, error(a, "UPLOAD_NOT_FOUND").getString("upload_id"));

    // an upload left idle is discarded and says so
    startUpload(a, conversationId, "idle.txt", "text/plain", 3, null);
    String idle = a.next("upload_ready").getString("upload_id");
    assertEquals(idle, error(a, "UPLOAD_EXPIRED").getString("upload_id"));

    assertTrue(history(0, conversationId, alice).isEmpty(), "no partial upload became a message");
    a.close();
  }

  @Test
  void aNodeHoldsNoMoreUnfinishedUploadBytesThanItsBudget() {
    Member bob = users.member();
    String conversationId = users.conversation(bob, false);
    WsClient b = users.connect(1, bob);
    join(b, conversationId);
    startUpload(b, conversationId, "big.bin", "application/octet-stream", 150_000, null);
    String uploadId = b.next("upload_ready").getString("upload_id");
    int offset = 0;
    while (offset + CHUNK <= NODE_BUDGET) {
      chunk(b, uploadId, offset, new byte[CHUNK]);
      offset += CHUNK;
      assertEquals(offset, b.next("upload_progress").getLong("received"));
    }
    chunk(b, uploadId, offset, new byte[CHUNK]);
    assertEquals((long) offset, error(b, "UPLOADS_BUSY").getLong("expected_offset"));

    // cancelling gives the bytes back: a file within the budget now goes through whole
    b.send(new JsonObject().put("type", "upload_cancel").put("upload_id", uploadId));
    b.next("upload_cancelled");
    byte[] file = new byte[NODE_BUDGET - 1000];
    new Random(11).nextBytes(file);
    startUpload(b, conversationId, "fits.bin", "application/octet-stream", file.length, null);
    String second = b.next("upload_ready").getString("upload_id");
    for (int at = 0; at < file.length; at += CHUNK) {
      chunk(b, second, at, java.util.Arrays.copyOfRange(file, at, Math.min(file.length, at + CHUNK)));
      b.next("upload_progress");
    }
    b.send(new JsonObject().put("type", "upload_complete").put("upload_id", second));
    String url = b.next("new_message").getJsonObject("message").getJsonObject("attachment").getString("url");
    b.next("upload_stored");
    assertArrayEquals(file, download(0, url, bob).body());
    b.close();
  }

  // ---- end-to-end encryption -------------------------------------------------------------

  static JsonObject envelope(String ciphertext, Member... recipients) {
    JsonArray list = new JsonArray();
    for (Member r : recipients) {
      list.add(new JsonObject().put("user_id", r.id()).put("key_id", "k1").put("wrapped_key", "d3JhcHBlZA=="));
    }
    return new JsonObject().put("algorithm", "X25519-AES256GCM").put("ciphertext", ciphertext).put("nonce", "bm9uY2U=")
        .put("sender_key_id", "k1").put("recipients", list).put("version", 2);
  }

  @Test
  void publicKeysAreVisibleToCoMembersOnly() {
    Member alice = users.member();
    Member bob = users.member();
    Member stranger = users.member();
    users.conversation(alice, false, bob);
    JsonObject key = new JsonObject().put("key_id", "k1").put("algorithm", "X25519").put("public_key", "cHVibGljLWtleQ==");
    TestCluster.HttpResult published = cluster.request(0, HttpMethod.PUT, "/api/v1/users/me/keys", alice.token(), key.toBuffer());
    assertEquals(200, published.status(), published.body()::encode);
    assertEquals("k1", published.body().getJsonArray("keys").getJsonObject(0).getString("key_id"));

    TestCluster.HttpResult seen = cluster.get(1, "/api/v1/users/" + alice.id() + "/keys", bob.token());
    assertEquals(200, seen.status());
    JsonObject fetched = seen.body().getJsonArray("keys").getJsonObject(0);
    assertEquals("X25519", fetched.getString("algorithm"));
    assertEquals("cHVibGljLWtleQ==", fetched.getString("public_key"));
    assertEquals(200, cluster.get(1, "/api/v1/users/me/keys", alice.token()).status());

    TestCluster.HttpResult hidden = cluster.get(1, "/api/v1/users/" + alice.id() + "/keys", stranger.token());
    assertEquals(404, hidden.status());
    assertEquals("NOT_FOUND", hidden.body().getString("code"));
    assertEquals(404, cluster.get(0, "/api/v1/users/nobody-" + UUID.randomUUID() + "/keys", alice.token()).status());
    TestCluster.HttpResult badAlgorithm = cluster.request(0, HttpMethod.PUT, "/api/v1/users/me/keys", alice.token(),
        key.copy().put("algorithm", "ROT13").toBuffer());
    assertEquals(400, badAlgorithm.status());
    assertEquals("UNSUPPORTED_ALGORITHM", badAlgorithm.body().getString("code"));
  }

  @Test
  void anEncryptedMessageIsStoredAndDeliveredOpaqueAndNoAiAnswersIt() {
    Member alice = users.member();
    Member bob = users.member();
    String conversationId = users.conversation(alice, true, bob);
    String persona = cluster.post(0, "/api/v1/bots", alice.token(),
        new JsonObject().put("name", "Sage").put("personality", "A sage.")).body().getString("id");
    WsClient a = users.connect(0, alice);
    WsClient b = users.connect(1, bob);
    join(a, conversationId);
    join(b, conversationId);
    String secretWord = "sekret" + UUID.randomUUID().toString().substring(0, 6);
    JsonObject sealed = envelope(secretWord, alice, bob);

    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("encrypted", sealed));
    JsonObject onB = b.next("new_message").getJsonObject("message");
    assertFalse(onB.containsKey("content"), onB::encode);
    assertEquals(sealed, onB.getJsonObject("encrypted"));
    assertEquals(1L, onB.getLong("seq"));
    a.next("new_message");

    // asked of a persona: stored, delivered, and refused with a clear code, no reply
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("encrypted", sealed).put("persona_id", persona));
    assertEquals(2L, b.next("new_message").getJsonObject("message").getLong("seq"));
    assertEquals(2L, a.next("new_message").getJsonObject("message").getLong("seq"));
    error(a, "ENCRYPTED_NO_AI");

    // a plaintext message is still answered by the conversation's bot, and that is the only reply
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("content", "plain words"));
    assertEquals(3L, b.next("new_message").getJsonObject("message").getLong("seq"));
    JsonObject reply = b.next("new_message").getJsonObject("message");
    assertTrue(reply.getBoolean("is_ai"));
    assertEquals(4L, reply.getLong("seq"));
    assertEquals(3L, a.next("new_message").getJsonObject("message").getLong("seq"));
    assertEquals(4L, a.next("new_message").getJsonObject("message").getLong("seq"));

    JsonArray stored = history(1, conversationId, bob);
    assertEquals(4, stored.size());
    for (int i = 0; i < 2; i++) {
      JsonObject message = stored.getJsonObject(i);
      assertFalse(message.containsKey("content"), message::encode);
      assertEquals(sealed, message.getJsonObject("encrypted"));
      assertFalse(message.getJsonObject("meta").containsKey("encrypted"));
    }
    assertEquals(1, stored.stream().filter(m -> "assistant".equals(((JsonObject) m).getString("role"))).count());

    // search never sees inside an envelope
    TestCluster.HttpResult found = cluster.get(0, "/api/v1/search?q=" + secretWord, alice.token());
    assertEquals(200, found.status());
    assertTrue(found.body().getJsonArray("results").isEmpty(), found.body()::encode);

    // bad envelopes
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("encrypted", sealed).put("content", "both"));
    error(a, "INVALID_MESSAGE");
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("encrypted", sealed.copy().put("recipients", new JsonArray())));
    error(a, "INVALID_ENVELOPE");
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("encrypted", envelope("x".repeat(5000), alice)));
    error(a, "ENVELOPE_TOO_LARGE");
    assertEquals(4, history(0, conversationId, alice).size());
    a.close();
    b.close();
  }

  @Test
  void anEnvelopeNamingANonMemberIsRefusedAndNothingIsStored() {
    Member alice = users.member();
    Member bob = users.member();
    Member stranger = users.member();
    String conversationId = users.conversation(alice, false, bob);
    users.conversation(stranger, false, alice); // the stranger shares another conversation with alice, not this one
    WsClient a = users.connect(0, alice);
    WsClient b = users.connect(1, bob);
    join(a, conversationId);
    join(b, conversationId);

    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("message_id", "sealed-1")
        .put("encrypted", envelope("c2VjcmV0", alice, bob, stranger)));
    JsonObject refused = error(a, "INVALID_RECIPIENT");
    assertEquals(conversationId, refused.getString("conversation_id"));
    b.expectSilence(java.time.Duration.ofMillis(300));
    assertTrue(history(1, conversationId, bob).isEmpty());

    // the same message_id, now for members only, is stored: the refusal used nothing up
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("message_id", "sealed-1")
        .put("encrypted", envelope("c2VjcmV0", alice, bob)));
    assertEquals(1L, b.next("new_message").getJsonObject("message").getLong("seq"));
    assertEquals(1L, a.next("new_message").getJsonObject("message").getLong("seq"));

    // bob removed: he is no longer a recipient anyone may name here
    assertEquals(204, cluster.request(0, HttpMethod.DELETE, "/api/v1/conversations/" + conversationId + "/members/" + bob.id(),
        alice.token(), null).status());
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("encrypted", envelope("eA==", alice, bob)));
    error(a, "INVALID_RECIPIENT");
    assertEquals(1, history(0, conversationId, alice).size());
    a.close();
    b.close();
  }

  @Test
  void aRemovedMemberLosesTheFilesTheMessagesInSearchAndTheKeysOfThatConversation() throws Exception {
    Member alice = users.member();
    Member bob = users.member();
    Member carol = users.member();
    String conversationId = users.conversation(alice, false, bob, carol);
    users.conversation(carol, false, bob); // bob still shares this one with carol, not with alice
    String word = "wombat" + UUID.randomUUID().toString().substring(0, 6);
    WsClient a = users.connect(0, alice);
    join(a, conversationId);
    byte[] file = ("the " + word + " file").getBytes();
    startUpload(a, conversationId, word + ".txt", "text/plain", file.length, sha256(file)); // found by its name's words
    String uploadId = a.next("upload_ready").getString("upload_id");
    chunk(a, uploadId, 0, file);
    a.next("upload_progress");
    a.send(new JsonObject().put("type", "upload_complete").put("upload_id", uploadId));
    String url = a.next("new_message").getJsonObject("message").getJsonObject("attachment").getString("url");
    a.next("upload_stored");
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("content", "a " + word + " again"));
    a.next("new_message");
    JsonObject key = new JsonObject().put("key_id", "k1").put("algorithm", "X25519").put("public_key", "cHVibGljLWtleQ==");
    for (Member m : List.of(alice, carol)) {
      assertEquals(200, cluster.request(0, HttpMethod.PUT, "/api/v1/users/me/keys", m.token(), key.toBuffer()).status());
    }

    // while a member, bob (on the other node) gets all of it
    WsClient b = users.connect(1, bob);
    assertArrayEquals(file, download(1, url, bob).body());
    b.send(new JsonObject().put("type", "search_messages").put("query", word).put("limit", 3));
    assertEquals(2, b.next("search_results").getJsonArray("results").size(), "the message and the file (by its name)");
    assertEquals(200, cluster.get(1, "/api/v1/users/" + alice.id() + "/keys", bob.token()).status());

    assertEquals(204, cluster.request(0, HttpMethod.DELETE, "/api/v1/conversations/" + conversationId + "/members/" + bob.id(),
        alice.token(), null).status());

    for (int node = 0; node < 2; node++) {
      Download refused = download(node, url, bob);
      assertEquals(403, refused.status());
      assertEquals("FORBIDDEN", new JsonObject(Buffer.buffer(refused.body())).getString("code"));
      TestCluster.HttpResult found = cluster.get(node, "/api/v1/search?q=" + word, bob.token());
      assertEquals(200, found.status());
      assertTrue(found.body().getJsonArray("results").isEmpty(), found.body()::encode);
      TestCluster.HttpResult aliceKeys = cluster.get(node, "/api/v1/users/" + alice.id() + "/keys", bob.token());
      assertEquals(404, aliceKeys.status());
      assertEquals("NOT_FOUND", aliceKeys.body().getString("code"));
      // carol still shares another conversation with bob: her keys stay visible to him
      TestCluster.HttpResult carolKeys = cluster.get(node, "/api/v1/users/" + carol.id() + "/keys", bob.token());
      assertEquals(200, carolKeys.status());
      assertEquals("k1", carolKeys.body().getJsonArray("keys").getJsonObject(0).getString("key_id"));
    }
    b.send(new JsonObject().put("type", "search_messages").put("query", word));
    assertTrue(b.next("search_results").getJsonArray("results").isEmpty());
    b.send(new JsonObject().put("type", "search_messages").put("query", word).put("conversation_id", conversationId));
    assertTrue(b.next("search_results").getJsonArray("results").isEmpty());
    // the members still have everything
    assertArrayEquals(file, download(1, url, carol).body());
    assertEquals(2, cluster.get(1, "/api/v1/search?q=" + word, carol.token()).body().getJsonArray("results").size());
    a.close();
    b.close();
  }

  // ---- search ----------------------------------------------------------------------------

  @Test
  void searchFindsWordsInTheCallersConversationsOnlyPageByPage() {
    Member alice = users.member();
    Member bob = users.member();
    Member carol = users.member();
    String shared = users.conversation(alice, false, bob);
    String alicesOwn = users.conversation(alice, false);
    String carols = users.conversation(carol, false);
    String word = "quokka" + UUID.randomUUID().toString().substring(0, 6);
    WsClient a = users.connect(0, alice);
    WsClient c = users.connect(0, carol);
    join(a, shared);
    join(a, alicesOwn);
    join(c, carols);
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String content = "a " + word + " sighting number " + i;
      a.send(new JsonObject().put("type", "send_message").put("conversation_id", shared).put("content", content));
      a.next("new_message");
      sent.add(content);
    }
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", alicesOwn).put("content", "my own " + word));
    a.next("new_message");
    a.send(new JsonObject().put("type", "send_message").put("conversation_id", shared).put("content", "unrelated chatter"));
    a.next("new_message");
    c.send(new JsonObject().put("type", "send_message").put("conversation_id", carols).put("content", "carol saw a " + word));
    c.next("new_message");

    // bob, on another node, searches by socket: only the shared conversation is his, newest first, two a page
    WsClient b = users.connect(1, bob);
    b.send(new JsonObject().put("type", "search_messages").put("query", word.toUpperCase()));
    JsonObject page = b.next("search_results");
    JsonArray results = page.getJsonArray("results");
    assertEquals(2, results.size());
    assertEquals(sent.get(2), results.getJsonObject(0).getString("content"));
    assertEquals(sent.get(1), results.getJsonObject(1).getString("content"));
    assertEquals(shared, results.getJsonObject(0).getString("conversation_id"));
    assertEquals(alice.id(), results.getJsonObject(0).getString("sender_id"));
    assertTrue(results.getJsonObject(0).getString("snippet").contains("**" + word + "**"));
    String cursor = page.getString("next_cursor");
    assertNotNull(cursor);
    b.send(new JsonObject().put("type", "search_messages").put("query", word).put("before", cursor));
    JsonObject last = b.next("search_results");
    assertEquals(List.of(sent.get(0)), last.getJsonArray("results").stream().map(r -> ((JsonObject) r).getString("content")).toList());
    assertNull(last.getString("next_cursor"));

    // alice sees both of her conversations, and can narrow to one; carol's never appears
    TestCluster.HttpResult all = cluster.get(1, "/api/v1/search?q=" + word + "&limit=10", alice.token());
    assertEquals(200, all.status());
    assertEquals(3, all.body().getJsonArray("results").size(), "limit is capped at search.maxResults");
    TestCluster.HttpResult rest = cluster.get(1, "/api/v1/search?q=" + word + "&limit=10&before=" + all.body().getString("next_cursor"), alice.token());
    assertEquals(1, rest.body().getJsonArray("results").size());
    assertEquals(sent.get(0), rest.body().getJsonArray("results").getJsonObject(0).getString("content"));
    for (JsonObject body : List.of(all.body(), rest.body())) {
      body.getJsonArray("results").forEach(r -> assertFalse(carols.equals(((JsonObject) r).getString("conversation_id"))));
    }
    TestCluster.HttpResult narrowed = cluster.get(0, "/api/v1/search?q=" + word + "&conversation_id=" + alicesOwn, alice.token());
    assertEquals(List.of("my own " + word), narrowed.body().getJsonArray("results").stream().map(r -> ((JsonObject) r).getString("content")).toList());
    b.send(new JsonObject().put("type", "search_messages").put("query", word).put("conversation_id", carols));
    assertTrue(b.next("search_results").getJsonArray("results").isEmpty());

    // bad queries
    b.send(new JsonObject().put("type", "search_messages").put("query", "   "));
    error(b, "INVALID_QUERY");
    b.send(new JsonObject().put("type", "search_messages").put("query", "x".repeat(41)));
    error(b, "QUERY_TOO_LONG");
    b.send(new JsonObject().put("type", "search_messages").put("query", word).put("before", "garbage"));
    error(b, "INVALID_CURSOR");
    TestCluster.HttpResult empty = cluster.get(0, "/api/v1/search?q=", alice.token());
    assertEquals(400, empty.status());
    assertEquals("INVALID_QUERY", empty.body().getString("code"));
    assertEquals(401, cluster.get(0, "/api/v1/search?q=" + word, null).status());
    List.of(a, b, c).forEach(WsClient::close);
  }
}
