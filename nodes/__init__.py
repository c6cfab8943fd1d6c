"""Graph nodes: one per file, thin, calling into `asymroute`."""
