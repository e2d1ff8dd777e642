"""Conversation: thread state, outlines, follow-up references and query condensing."""
