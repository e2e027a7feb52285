"""The explicit-state engine: compiled, vectorised breadth-first search over packed states."""
