"""Aurora Nexus MCP: a multi-tenant document knowledge base served over the Model Context Protocol."""

__version__ = "0.1.0"
