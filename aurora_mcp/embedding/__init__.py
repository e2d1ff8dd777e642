"""Dense embedders and the sparse BM25 encoder."""
