"""The MCP surface: tools, resources, prompts and transports."""
