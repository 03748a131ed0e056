package chorus.gateway.profile;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The user profile's WebRTC signalling frames (calls and screen sharing), checked before
 * anything is asked of the cluster: what is relayed is only the fields named here, within
 * the configured sizes. Membership is the socket's business (it asks the database).
 */
final class CallFrames {
  private CallFrames() {}

  static final Set<String> TYPES = Set.of("call_invite", "call_accept", "call_reject", "call_offer", "call_answer",
      "ice_candidate", "call_end", "screen_share_start", "screen_share_stop");
  private static final Set<String> MEDIA = Set.of("audio", "video", "screen");
  private static final int MAX_REASON_CHARS = 200;
  private static final int MAX_SDP_MID_CHARS = 64;
  private static final int MAX_M_LINE_INDEX = 1024;
  private static final int MAX_USER_ID_CHARS = 200;

  /** A frame fit to relay: its call id (a new one for call_invite), optional target and the fields to pass on. */
  record Checked(String callId, String toUserId, Map<String, Object> fields) {}

  /** Why a frame is refused: an error code and text for the sender. */
  static final class Refused extends Exception {
    final String code;

    Refused(String code, String text) {
      super(text, null, false, false);
      this.code = code;
    }
  }

  static Checked check(String type, JsonObject frame, int maxSdpBytes, int maxCandidateBytes) throws Refused {
    Map<String, Object> fields = new HashMap<>();
    String callId;
    if (type.equals("call_invite")) {
      if (!(frame.getValue("media") instanceof String media) || !MEDIA.contains(media)) {
        throw new Refused("INVALID_MESSAGE", "media must be audio, video or screen");
      }
      fields.put("media", media);
      callId = UUID.randomUUID().toString();
    } else {
      try {
        callId = UUID.fromString((String) frame.getValue("call_id")).toString();
      } catch (ClassCastException | IllegalArgumentException | NullPointerException e) {
        throw new Refused("INVALID_MESSAGE", "call_id must be the id call_invite_sent gave");
      }
    }
    switch (type) {
      case "call_offer", "call_answer" -> copy(frame, "sdp", maxSdpBytes, true, fields);
      case "ice_candidate" -> {
        copy(frame, "candidate", maxCandidateBytes, true, fields);
        copy(frame, "sdp_mid", MAX_SDP_MID_CHARS, false, fields);
        Object index = frame.getValue("sdp_m_line_index");
        if (index != null) {
          if (!(index instanceof Number number) || number.intValue() < 0 || number.intValue() >= MAX_M_LINE_INDEX) {
            throw new Refused("INVALID_MESSAGE", "sdp_m_line_index must be a small non-negative integer");
          }
          fields.put("sdp_m_line_index", number.intValue());
        }
      }
      case "call_reject", "call_end" -> copy(frame, "reason", MAX_REASON_CHARS, false, fields);
      default -> {
        // call_accept, screen_share_start / stop: nothing but the call id
      }
    }
    Object to = frame.getValue("to_user_id");
    if (to != null && (!(to instanceof String target) || target.isBlank() || target.length() > MAX_USER_ID_CHARS)) {
      throw new Refused("INVALID_MESSAGE", "to_user_id must be a user id");
    }
    return new Checked(callId, (String) to, Map.copyOf(fields));
  }

  /** Copies a string field (required: non-empty) of at most {@code maxBytes} in UTF-8; larger is PAYLOAD_TOO_LARGE. */
  private static void copy(JsonObject frame, String field, int maxBytes, boolean required, Map<String, Object> fields) throws Refused {
    Object value = frame.getValue(field);
    if (value == null && !required) {
      return;
    }
    if (!(value instanceof String text) || (required && text.isEmpty())) {
      throw new Refused("INVALID_MESSAGE", field + (required ? " is required and must be a non-empty string" : " must be a string"));
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      throw new Refused("PAYLOAD_TOO_LARGE", field + " is larger than " + maxBytes + " bytes");
    }
    fields.put(field, text);
  }
}
