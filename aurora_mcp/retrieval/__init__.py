"""Retrieval: hybrid search with MMR, citations and the query log."""
