"""The benchmark: Potion against hand-written Flask views (see bench/README.md)."""
