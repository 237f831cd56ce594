/**
 * Which node consumes a feed. Every batch already locks the consumer's cursor row, so two nodes never apply the
 * same batch (the second waits, then reads after the advanced cursor); a lease additionally keeps one node active
 * for as long as it lives, for consumers whose work spans batches (HL7 outbound: one set of MLLP senders).
 * A node that loses its lease stops at its next iteration; another node takes over at its next poll.
 */
export interface FeedLease {
  /** True when this node holds the lease (taking it when free). Never waits for another holder. */
  held(): Promise<boolean>;
  release(): Promise<void>;
}

/** No lease: every node runs batches, serialised by the cursor row lock. */
export const everyNode: FeedLease = {
  held: async () => true,
  release: async () => undefined,
};
