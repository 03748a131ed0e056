package chorus.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.SerializationConfig;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import java.io.IOException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What crosses Hazelcast between presence members, through the serialization service a member
 * builds from the config the launcher gives it: each object in the presence wire form (not
 * Java serialization), read back to the same state.
 */
class PresenceWireSerializerTest {
  private final InternalSerializationService service = new DefaultSerializationServiceBuilder()
      .setConfig(new SerializationConfig().addSerializerConfig(PresenceVerticle.serializerConfig())).build();

  @SuppressWarnings("unchecked")
  private <T> T roundTrip(Object object) {
    Data data = service.toData(object);
    assertEquals(PresenceWireSerializer.TYPE_ID, data.getType(), object.getClass().getSimpleName() + " is written in the presence wire form");
    return (T) service.toObject(data);
  }

  private static <V> Map.Entry<String, V> entry(V value) {
    return new AbstractMap.SimpleEntry<>("key", value);
  }

  @Test
  void entryProcessorsAndResultsComeBackEqual() {
    List<Object> records = List.of(
        new PresenceUpdates.AddSocket("n1", "s1", 5), new PresenceUpdates.RemoveSocket("n1", "s1"), new PresenceUpdates.RemoveNode("n2"),
        new PresenceUpdates.SetStatus("away"), new PresenceUpdates.SetStatus(null), new PresenceUpdates.ReadPresence(),
        new PresenceUpdates.OnlineUser(new ArrayList<>(List.of("n1", "n2")), "busy"),
        new ViewerUpdates.AddViewer("n1", "s1", "u1", 0), new ViewerUpdates.RemoveViewer("n1", "s1"), new ViewerUpdates.RemoveNode("n3"),
        new ViewerUpdates.Read(), new ViewerUpdates.Snapshot(new ArrayList<>(List.of("u1", "u2")), 3),
        new TokenBucket.Take(2.5, 10, 1_700_000_000_123L, 4));
    List<Object> results = new ArrayList<>(List.of(PresenceChange.values()));
    results.addAll(List.of(PresenceUpdates.StatusOutcome.values()));
    for (Object result : results) {
      assertEquals(result, roundTrip(result));
    }
    for (Object record : records) {
      assertEquals(record, roundTrip(record));
    }
  }

  @Test
  void aUsersSocketsComeBackWithTheirNodesAndStatus() {
    UserSockets sockets = new UserSockets();
    sockets.add("n1", "s1");
    sockets.add("n1", "s2");
    sockets.add("n2", "s3");
    sockets.setStatus("away");
    UserSockets back = roundTrip(sockets);
    assertEquals(3, back.count());
    assertEquals(List.of("n1", "n2"), back.nodes());
    assertEquals("away", back.status());
    assertTrue(back.contains("n1", "s2") && back.contains("n2", "s3"));
    assertFalse(back.contains("n2", "s1"));
    // the default status is not written as a value: it comes back as the default
    UserSockets active = new UserSockets();
    active.add("n1", "s1");
    assertEquals(chorus.shared.domain.ActivityStatus.ACTIVE, this.<UserSockets>roundTrip(active).status());
  }

  @Test
  void aConversationsViewersComeBackByNodeAndSocket() {
    ConversationViewers viewers = new ConversationViewers();
    viewers.add("n1", "s1", "u1");
    viewers.add("n2", "s2", "u2");
    viewers.add("n2", "s3", "u1");
    ConversationViewers back = roundTrip(viewers);
    assertEquals(3, back.count());
    assertEquals(List.of("u1", "u2"), back.users());
    assertTrue(back.contains("n2", "s3"));
    assertTrue(back.removeNode("n2"));
    assertEquals(List.of("u1"), back.users());
  }

  @Test
  void aTokenBucketComesBackWithWhatIsLeftOfIt() {
    Map.Entry<String, TokenBucket> bucket = entry(null);
    // a burst of 3 at one token a second: three taken, none left in the same millisecond
    assertEquals(3, new TokenBucket.Take(1, 3, 1_000, 3).process(bucket));
    Map.Entry<String, TokenBucket> back = entry(roundTrip(bucket.getValue()));
    assertEquals(0, new TokenBucket.Take(1, 3, 1_000, 1).process(back));
    // two seconds later, two tokens have come back: the time of the last take was kept too
    assertEquals(2, new TokenBucket.Take(1, 3, 3_000, 3).process(entry(roundTrip(back.getValue()))));
  }

  /** What a node of another version may send: refused with a reason, never read as something else. */
  @Test
  void anUnknownTagOrValueIsRefusedWithAReason() {
    PresenceWireSerializer serializer = new PresenceWireSerializer();
    IOException tag = assertThrows(IOException.class, () -> serializer.read(service.createObjectDataInput(new byte[] {99})));
    assertTrue(tag.getMessage().contains("unknown presence wire tag 99"), tag.getMessage());
    IOException value = assertThrows(IOException.class, () -> serializer.read(service.createObjectDataInput(new byte[] {40, 9})));
    assertTrue(value.getMessage().contains("unknown presence wire value 9"), value.getMessage());
  }
}
