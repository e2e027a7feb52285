"""Pictures of traces and state graphs (graphviz)."""
