"""Text <-> typed records: TLE/2LE/3LE, CCSDS OMM (KVN, XML, JSON, CSV), SATCAT CSV."""
