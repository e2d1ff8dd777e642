"""Vector index: Qdrant engines behind one contract."""
