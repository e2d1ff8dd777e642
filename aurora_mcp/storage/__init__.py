"""Object store: S3/MinIO or a local folder with the same bucket/key layout."""
