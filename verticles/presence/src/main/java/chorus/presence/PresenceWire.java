package chorus.presence;

/**
 * What the presence role puts through Hazelcast: its map values, entry processors and their
 * results. {@link PresenceWireSerializer} writes all of them; without it Hazelcast would use
 * Java serialization, whose stream set-up alone cost more than the update it carried.
 */
interface PresenceWire {}
