"""Partners, agreements and releasability: pure decisions with reasons (no I/O)."""
