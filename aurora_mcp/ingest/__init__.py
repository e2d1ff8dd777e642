"""Ingestion: docling parsing, section-aware chunking, embedding, indexing, job bookkeeping."""
