"""The reliability suite: faults, load and soak against real loopback sockets."""
