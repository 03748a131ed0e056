package chorus.shared.bus;

import java.util.Map;
import java.util.UUID;

/**
 * A WebRTC signalling frame (call_invite, call_offer, ice_candidate...) relayed to the
 * members of a conversation: published on the conversation's topic, never stored.
 *
 * @param type the frame type, as the recipients receive it
 * @param fromSocketId the sending socket, which never receives its own signal
 * @param toUserId when set, only that member's sockets receive it
 * @param fields the frame's own fields (media, sdp, candidate...), already checked
 */
public record CallSignal(UUID conversationId, String type, String callId, String fromUserId, String fromSocketId, String toUserId,
    Map<String, Object> fields) {}
