"""Use cases: ingest, catalogue queries, export, propagation.  The only place where the
layers below meet."""
