"""The `aurora-mcp` command line."""
