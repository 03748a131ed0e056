package chorus.presence;

import com.hazelcast.config.SerializerConfig;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import java.io.IOException;
import java.util.ArrayList;

/**
 * Hazelcast's wire form of every {@link PresenceWire}: a tag, then the fields (an enum's
 * ordinal). Presence is an entry processor per socket opened or closed, per viewer and per
 * rate-limit lease, each sent to the key's owner and its backup with its result sent back;
 * with Java serialization (an ObjectOutputStream and its class descriptors per object) that
 * took 7% of the surviving nodes' samples in the reconnect storm and 18% of a node's while
 * 800 sockets connected (docs/bench/findings.md, 33).
 *
 * <p>Every node of a cluster must use the same form: {@link PresenceVerticle#serializerConfig()}
 * is added to each node's Hazelcast config by the launcher. A tag is never reused.
 */
final class PresenceWireSerializer implements StreamSerializer<PresenceWire> {
  /** Hazelcast's id of this serializer: positive, and unique among a cluster's custom serializers. */
  static final int TYPE_ID = 7301;

  private static final byte USER_SOCKETS = 1;
  private static final byte CONVERSATION_VIEWERS = 2;
  private static final byte TOKEN_BUCKET = 3;
  private static final byte ADD_SOCKET = 10;
  private static final byte REMOVE_SOCKET = 11;
  private static final byte REMOVE_NODE_SOCKETS = 12;
  private static final byte SET_STATUS = 13;
  private static final byte READ_PRESENCE = 14;
  private static final byte ONLINE_USER = 15;
  private static final byte ADD_VIEWER = 20;
  private static final byte REMOVE_VIEWER = 21;
  private static final byte REMOVE_NODE_VIEWERS = 22;
  private static final byte READ_VIEWERS = 23;
  private static final byte VIEWERS_SNAPSHOT = 24;
  private static final byte TAKE_TOKENS = 30;
  private static final byte PRESENCE_CHANGE = 40;
  private static final byte STATUS_OUTCOME = 41;
  /** values() copies its array on every call; a result is read per presence operation. */
  private static final PresenceChange[] CHANGES = PresenceChange.values();
  private static final PresenceUpdates.StatusOutcome[] OUTCOMES = PresenceUpdates.StatusOutcome.values();

  static SerializerConfig config() {
    return new SerializerConfig().setTypeClass(PresenceWire.class).setImplementation(new PresenceWireSerializer());
  }

  @Override
  public int getTypeId() {
    return TYPE_ID;
  }

  @Override
  public void write(ObjectDataOutput out, PresenceWire object) throws IOException {
    if (object instanceof UserSockets sockets) {
      out.writeByte(USER_SOCKETS);
      sockets.writeTo(out);
    } else if (object instanceof ConversationViewers viewers) {
      out.writeByte(CONVERSATION_VIEWERS);
      viewers.writeTo(out);
    } else if (object instanceof TokenBucket bucket) {
      out.writeByte(TOKEN_BUCKET);
      bucket.writeTo(out);
    } else if (object instanceof PresenceUpdates.AddSocket add) {
      out.writeByte(ADD_SOCKET);
      out.writeString(add.nodeId());
      out.writeString(add.socketId());
      out.writeInt(add.max());
    } else if (object instanceof PresenceUpdates.RemoveSocket remove) {
      out.writeByte(REMOVE_SOCKET);
      out.writeString(remove.nodeId());
      out.writeString(remove.socketId());
    } else if (object instanceof PresenceUpdates.RemoveNode remove) {
      out.writeByte(REMOVE_NODE_SOCKETS);
      out.writeString(remove.nodeId());
    } else if (object instanceof PresenceUpdates.SetStatus set) {
      out.writeByte(SET_STATUS);
      out.writeString(set.status());
    } else if (object instanceof PresenceUpdates.ReadPresence) {
      out.writeByte(READ_PRESENCE);
    } else if (object instanceof PresenceUpdates.OnlineUser online) {
      out.writeByte(ONLINE_USER);
      writeStrings(out, online.nodes());
      out.writeString(online.status());
    } else if (object instanceof ViewerUpdates.AddViewer add) {
      out.writeByte(ADD_VIEWER);
      out.writeString(add.nodeId());
      out.writeString(add.socketId());
      out.writeString(add.userId());
      out.writeInt(add.max());
    } else if (object instanceof ViewerUpdates.RemoveViewer remove) {
      out.writeByte(REMOVE_VIEWER);
      out.writeString(remove.nodeId());
      out.writeString(remove.socketId());
    } else if (object instanceof ViewerUpdates.RemoveNode remove) {
      out.writeByte(REMOVE_NODE_VIEWERS);
      out.writeString(remove.nodeId());
    } else if (object instanceof ViewerUpdates.Read) {
      out.writeByte(READ_VIEWERS);
    } else if (object instanceof ViewerUpdates.Snapshot snapshot) {
      out.writeByte(VIEWERS_SNAPSHOT);
      writeStrings(out, snapshot.users());
      out.writeInt(snapshot.sockets());
    } else if (object instanceof TokenBucket.Take take) {
      out.writeByte(TAKE_TOKENS);
      out.writeDouble(take.perSecond());
      out.writeInt(take.burst());
      out.writeLong(take.nowMillis());
      out.writeInt(take.wanted());
    } else if (object instanceof PresenceChange change) {
      out.writeByte(PRESENCE_CHANGE);
      out.writeByte(change.ordinal());
    } else if (object instanceof PresenceUpdates.StatusOutcome outcome) {
      out.writeByte(STATUS_OUTCOME);
      out.writeByte(outcome.ordinal());
    } else {
      throw new IOException("no presence wire form for " + object.getClass().getName());
    }
  }

  @Override
  public PresenceWire read(ObjectDataInput in) throws IOException {
    byte tag = in.readByte();
    return switch (tag) {
      case USER_SOCKETS -> UserSockets.readFrom(in);
      case CONVERSATION_VIEWERS -> ConversationViewers.readFrom(in);
      case TOKEN_BUCKET -> TokenBucket.readFrom(in);
      case ADD_SOCKET -> new PresenceUpdates.AddSocket(in.readString(), in.readString(), in.readInt());
      case REMOVE_SOCKET -> new PresenceUpdates.RemoveSocket(in.readString(), in.readString());
      case REMOVE_NODE_SOCKETS -> new PresenceUpdates.RemoveNode(in.readString());
      case SET_STATUS -> new PresenceUpdates.SetStatus(in.readString());
      case READ_PRESENCE -> new PresenceUpdates.ReadPresence();
      case ONLINE_USER -> new PresenceUpdates.OnlineUser(readStrings(in), in.readString());
      case ADD_VIEWER -> new ViewerUpdates.AddViewer(in.readString(), in.readString(), in.readString(), in.readInt());
      case REMOVE_VIEWER -> new ViewerUpdates.RemoveViewer(in.readString(), in.readString());
      case REMOVE_NODE_VIEWERS -> new ViewerUpdates.RemoveNode(in.readString());
      case READ_VIEWERS -> new ViewerUpdates.Read();
      case VIEWERS_SNAPSHOT -> new ViewerUpdates.Snapshot(readStrings(in), in.readInt());
      case TAKE_TOKENS -> new TokenBucket.Take(in.readDouble(), in.readInt(), in.readLong(), in.readInt());
      case PRESENCE_CHANGE -> byOrdinal(CHANGES, in.readByte());
      case STATUS_OUTCOME -> byOrdinal(OUTCOMES, in.readByte());
      default -> throw new IOException("unknown presence wire tag " + tag + " (a node of another Chorus version?)");
    };
  }

  private static <E> E byOrdinal(E[] values, byte ordinal) throws IOException {
    if (ordinal < 0 || ordinal >= values.length) {
      throw new IOException("unknown presence wire value " + ordinal + " (a node of another Chorus version?)");
    }
    return values[ordinal];
  }

  private static void writeStrings(ObjectDataOutput out, ArrayList<String> strings) throws IOException {
    out.writeInt(strings.size());
    for (String s : strings) {
      out.writeString(s);
    }
  }

  private static ArrayList<String> readStrings(ObjectDataInput in) throws IOException {
    int size = in.readInt();
    ArrayList<String> strings = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      strings.add(in.readString());
    }
    return strings;
  }
}
