"""Outlines: deliverable markers become labels, nesting becomes ids, and the thread JSON holds titles only."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from aurora_mcp.conversation.outline import (
    MAX_TITLE_CHARS,
    Outline,
    OutlineSection,
    outline_from_deliverable,
    outline_from_sections,
)
from aurora_mcp.ingest.models import Section


def _rows(outline: Outline) -> list[tuple[str, str | None, int, str]]:
    return [(s.id, s.label, s.level, s.title) for s in outline.sections]


def test_lettered_items_keep_their_letter_as_label() -> None:
    outline = outline_from_deliverable(["A. Budget", "B) Risques", "(c) Calendrier", "D - Équipe"])

    assert _rows(outline) == [
        ("S1", "A", 1, "Budget"),
        ("S2", "B", 1, "Risques"),
        ("S3", "C", 1, "Calendrier"),
        ("S4", "D", 1, "Équipe"),
    ]
    assert outline.source == "deliverable"


def test_roman_parts_sit_above_their_lettered_points() -> None:
    outline = outline_from_deliverable(["I. Contexte", "A. Historique", "B. Enjeux", "II. Méthode", "A) Données"])

    assert _rows(outline) == [
        ("S1", "I", 1, "Contexte"),
        ("S1.1", "A", 2, "Historique"),
        ("S1.2", "B", 2, "Enjeux"),
        ("S2", "II", 1, "Méthode"),
        ("S2.1", "A", 2, "Données"),
    ]


def test_a_letter_that_is_also_a_numeral_is_read_from_its_neighbours() -> None:
    letters = outline_from_deliverable(["A. Un", "B. Deux", "C. Trois", "D. Quatre"])
    romans = outline_from_deliverable(["I. Un", "II. Deux", "III. Trois", "IV. Quatre", "V. Cinq"])

    assert [s.level for s in letters.sections] == [1, 1, 1, 1]
    assert [s.label for s in romans.sections] == ["I", "II", "III", "IV", "V"]
    assert [s.level for s in romans.sections] == [1, 1, 1, 1, 1]


def test_dotted_numbers_nest_under_their_parent() -> None:
    outline = outline_from_deliverable(["1. Scope", "1.1 Goals", "1.2. Non-goals", "2) Budget"])

    assert _rows(outline) == [
        ("S1", "1", 1, "Scope"),
        ("S1.1", "1.1", 2, "Goals"),
        ("S1.2", "1.2", 2, "Non-goals"),
        ("S2", "2", 1, "Budget"),
    ]


def test_plain_titles_are_numbered_in_order() -> None:
    outline = outline_from_deliverable(["Contexte", "", "Méthode", "Résultats"])

    assert _rows(outline) == [("S1", None, 1, "Contexte"), ("S2", None, 1, "Méthode"), ("S3", None, 1, "Résultats")]


def test_items_marked_with_their_own_section_ids_keep_them() -> None:
    outline = outline_from_deliverable(["S1 — Intro", "S2: Timeline", "S2.1 Milestones", "S3 — Risks"])

    assert [(s.id, s.level, s.title) for s in outline.sections] == [
        ("S1", 1, "Intro"),
        ("S2", 1, "Timeline"),
        ("S2.1", 2, "Milestones"),
        ("S3", 1, "Risks"),
    ]


def test_indentation_decides_nesting_when_present() -> None:
    outline = outline_from_deliverable(["- Intro", "  - Détail", "    - Plus fin", "  - Autre détail", "- Suite"])

    assert [s.id for s in outline.sections] == ["S1", "S1.1", "S1.1.1", "S1.2", "S2"]


def test_mapping_items_give_label_and_level_explicitly() -> None:
    outline = outline_from_deliverable(
        [{"title": "Budget", "label": "a"}, {"title": "Détail", "level": 2}, {"title": "Risques", "label": "b"}],
        document_ids=["doc-1"],
    )

    assert _rows(outline) == [("S1", "A", 1, "Budget"), ("S1.1", None, 2, "Détail"), ("S2", "B", 1, "Risques")]
    assert outline.document_ids == ["doc-1"]


def test_a_noun_before_the_marker_is_part_of_the_marker() -> None:
    outline = outline_from_deliverable(["Partie 1 : Contexte", "Partie 2 : Méthode", "Step 3 - Deploy"])

    assert [(s.label, s.title) for s in outline.sections] == [("1", "Contexte"), ("2", "Méthode"), ("3", "Deploy")]


def test_a_title_that_merely_starts_with_a_letter_keeps_its_first_word() -> None:
    outline = outline_from_deliverable(["A Study of MVCC", "IV Fluids", "3D printing"])

    assert [(s.label, s.title) for s in outline.sections] == [
        (None, "A Study of MVCC"),
        (None, "IV Fluids"),
        (None, "3D printing"),
    ]


def test_an_empty_deliverable_or_an_untitled_item_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least one"):
        outline_from_deliverable(["", "  "])
    with pytest.raises(ValueError, match="no title"):
        outline_from_deliverable([{"label": "A"}])


def test_a_document_outline_keeps_ids_levels_pages_and_heading_numbers() -> None:
    sections = [
        Section(section_id="S1", title="1 Introduction", level=1, page=1, ordinal=0),
        Section(section_id="S1.1", title="1.1 Motivation", level=2, page=2, ordinal=1),
        Section(section_id="S2", title="II. Méthode", level=1, page=4, ordinal=2),
        Section(section_id="S3", title="Annexes", level=1, page=9, ordinal=3),
    ]

    outline = outline_from_sections(sections, "doc-7")

    assert [(s.id, s.label, s.level, s.page, s.title) for s in outline.sections] == [
        ("S1", "1", 1, 1, "1 Introduction"),
        ("S1.1", "1.1", 2, 2, "1.1 Motivation"),
        ("S2", "II", 1, 4, "II. Méthode"),
        ("S3", None, 1, 9, "Annexes"),
    ]
    assert outline.document_ids == ["doc-7"]
    assert {s.document_id for s in outline.sections} == {"doc-7"}
    assert [s.id for s in outline.top_level()] == ["S1", "S2", "S3"]
    assert [s.id for s in outline.children(outline.sections[0])] == ["S1.1"]


def test_thread_json_holds_ids_titles_and_markers_but_no_text() -> None:
    body = "Paragraph text that must never reach thread_state. " * 40
    outline = outline_from_deliverable(["A. Budget\x00\u202e", f"B. {body}", "C. Calendrier"])

    stored = outline.to_thread_json()

    assert set(stored) == {"sections", "source", "document_ids"}
    for entry in stored["sections"]:
        assert set(entry) <= {"id", "title", "label", "level", "page", "document_id"}
        assert len(entry["title"]) <= MAX_TITLE_CHARS
        assert entry["title"].isprintable()
    assert stored["sections"][0] == {"id": "S1", "title": "Budget", "label": "A"}
    assert len(json.dumps(stored)) < 2 * MAX_TITLE_CHARS + 300


def test_thread_json_round_trips() -> None:
    outline = outline_from_deliverable(["I. Contexte", "A. Historique", "II. Méthode"], document_ids=["d1", "d2"])

    stored = outline.to_thread_json()

    assert Outline.from_thread_json(stored) == outline
    assert Outline.from_thread_json(json.dumps(stored)) == outline


def test_the_bare_seed_shape_of_last_outline_is_accepted() -> None:
    outline = Outline.from_thread_json({"sections": [{"id": "S1", "title": "Intro"}, {"id": "s2", "title": "Plan"}]})

    assert [s.id for s in outline.sections] == ["S1", "S2"]
    assert outline.source == "document"
    assert outline.document_ids == []


def test_a_malformed_outline_is_rejected() -> None:
    with pytest.raises(ValidationError, match="duplicate section id"):
        Outline(sections=[OutlineSection(id="S1", title="a"), OutlineSection(id="S1", title="b")])
    with pytest.raises(ValidationError, match=r"S1 or S2\.1"):
        OutlineSection(id="section one", title="a")
    with pytest.raises(ValidationError, match="title is empty"):
        OutlineSection(id="S1", title=" \x07 ")
