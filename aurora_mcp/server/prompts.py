"""Prompts that teach the calling model the two workflows: cited answers, and follow-ups on numbered parts."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

ANSWER_WITH_CITATIONS = """\
Answer the question below from the user's documents only, with citations.

1. Call search_documents with the question (in the user's language). If the user names a project, a tag, a
   file type or a document, pass it in `filters`. Use thread_id "{thread_id}".
2. Read the passages. If a snippet is too short to answer, call read_section with its document_id and
   section_id (or chunk_index) to read the whole section.
3. Answer concisely. After each statement taken from a passage, cite it as [n], using the result's number, and
   end with a "Sources" list: [n] document title — section id and heading (p. page).
4. If the passages do not contain the answer, say that the documents do not cover it and, if useful, suggest
   other search words. Never invent facts, titles, sections or page numbers, and never cite a passage for
   something it does not say.
5. If your answer is organised in numbered or lettered parts, call set_outline with those parts (thread_id
   "{thread_id}") so that follow-ups such as "tell me more about point B" can be resolved.

Question: {question}
"""

HANDLE_FOLLOWUP = """\
The user's message below may refer to a part of an earlier answer or document outline ("S2", "section 2", \
"§3", "point B", "le 2e point", "the last one", "deuxième partie", "II").

1. If you presented a structured answer and have not stored its outline yet, call set_outline with its
   headings as shown (e.g. "A. Costs", "B. Risks"); if you presented a document's sections, make sure
   get_outline was called for that document. Use thread_id "{thread_id}" throughout.
2. Call resolve_followup with the message verbatim (thread_id "{thread_id}", search=true).
3. If it is resolved, answer from the returned passages about that section only, citing them as [n] with
   document title, section and page. If it needs more text, call read_section for that section.
4. If it is not resolved, do not guess: ask the user which part they mean, offering the listed sections.

User's message: {message}
"""


def answer_with_citations(
    question: Annotated[str, Field(description="The user's question.")],
    thread_id: Annotated[str, Field(description="Conversation id to use with the tools.")] = "default",
) -> str:
    """Answer a question from the knowledge base with [n] citations, saying so when nothing was found."""
    return ANSWER_WITH_CITATIONS.format(question=question, thread_id=thread_id)


def handle_followup(
    message: Annotated[str, Field(description="The user's follow-up message, verbatim.")],
    thread_id: Annotated[str, Field(description="Conversation id to use with the tools.")] = "default",
) -> str:
    """Resolve a follow-up such as "tell me more about S2" or "le point B" against the conversation's outline."""
    return HANDLE_FOLLOWUP.format(message=message, thread_id=thread_id)


def register(server: MCPServer[Any]) -> None:
    server.prompt(title="Answer with citations")(answer_with_citations)
    server.prompt(title="Handle a follow-up")(handle_followup)
