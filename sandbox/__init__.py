"""The embedded sandbox: the Flexiti simulator and the reference store, served on loopback."""
