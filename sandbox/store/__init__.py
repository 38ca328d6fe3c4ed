"""The reference merchant store: a correct Flexiti widget integration a merchant can read as an example."""
