"""Aurora repositories layer."""
