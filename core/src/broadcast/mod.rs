//! Broadcast protocols: FIFO, causal, total order (Lamport), reliable and gossip broadcast.
