"""The HTTP interface (native REST and Space-Track-compatible query API)."""
