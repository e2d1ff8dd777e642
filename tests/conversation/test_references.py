"""Follow-up references in French and English: parsed, resolved against an outline, and quiet on ordinary text."""

from __future__ import annotations

import pytest

from aurora_mcp.conversation.outline import Outline, outline_from_deliverable, outline_from_sections
from aurora_mcp.conversation.references import parse_reference, resolve_message, resolve_reference
from aurora_mcp.ingest.models import Section


def _document() -> Outline:
    headings = [
        ("S1", "Introduction"),
        ("S2", "Architecture"),
        ("S2.1", "Storage layer"),
        ("S2.2", "Query engine"),
        ("S3", "Risques et mitigations"),
        ("S4", "Budget and costs"),
        ("S4.1", "Licences"),
        ("S5", "Timeline"),
    ]
    sections = [
        Section(section_id=sid, title=title, level=sid.count(".") + 1, page=n + 1, ordinal=n)
        for n, (sid, title) in enumerate(headings)
    ]
    return outline_from_sections(sections, "doc-42")


OUTLINES = {
    "doc": _document(),
    "letters": outline_from_deliverable(["A. Budget", "B) Risques", "C. Calendrier", "D. Équipe"]),
    "roman": outline_from_deliverable(
        ["I. Contexte", "II. Méthode", "A. Données", "B. Modèle", "III. Résultats", "IV. Conclusion"]
    ),
    "numbered": outline_from_deliverable(
        ["1. Scope", "2. Budget", "3. Risks", "4. Staffing", "5. Timeline", "6. Next steps"]
    ),
    # Labels start one item late, so "point 2" may mean the item labelled 2 (S3) or S2.
    "offset": outline_from_deliverable(["Introduction", "1. Scope", "2. Budget", "3. Risks"]),
}

# message, outline, expected (section id, "many:…", a failure status, or None for no reference), ref_type
CASES = [
    ("S2", "doc", "S2", "section_id"),
    ("tell me more about S2", "doc", "S2", "section_id"),
    ("s2.1", "doc", "S2.1", "section_id"),
    ("What does S2.2 say about caching?", "doc", "S2.2", "section_id"),
    ("section 2", "doc", "S2", "section_id"),
    ("Section 4.1 please", "doc", "S4.1", "section_id"),
    ("§3", "doc", "S3", "section_id"),
    ("sec. 4", "doc", "S4", "section_id"),
    ("S9", "doc", "out_of_range", "section_id"),
    ("section 12", "doc", "out_of_range", "section_id"),
    ("2e point", "doc", "S2", "ordinal"),
    ("le 2e point", "doc", "S2", "ordinal"),
    ("2ème partie", "doc", "S2", "ordinal"),
    ("deuxième", "doc", "S2", "ordinal"),
    ("DEUXIEME PARTIE", "doc", "S2", "ordinal"),
    ("the second point", "doc", "S2", "ordinal"),
    ("third", "doc", "S3", "ordinal"),
    ("the third point", "doc", "S3", "ordinal"),
    ("1st", "doc", "S1", "ordinal"),
    ("premier", "doc", "S1", "ordinal"),
    ("troisième section", "doc", "S3", "ordinal"),
    ("the last one", "doc", "S5", "ordinal"),
    ("dernier point", "doc", "S5", "ordinal"),
    ("l'avant-dernier", "doc", "S4", "ordinal"),
    ("penultimate", "doc", "S4", "ordinal"),
    ("what about the second?", "doc", "S2", "ordinal"),
    ("la première partie", "doc", "S1", "ordinal"),
    ("the sixth point", "doc", "out_of_range", "ordinal"),
    ("partie II", "doc", "S2", "roman"),
    ("point b", "doc", "S2", "letter"),
    ("compare S1 and S3", "doc", "many:S1,S3", "section_id"),
    ("S2 et S5", "doc", "many:S2,S5", "section_id"),
    ("the second point of S2", "doc", "S2.2", "ordinal"),
    ("le premier point de la section 4", "doc", "S4.1", "ordinal"),
    ("the third point of S2", "doc", "out_of_range", "ordinal"),
    ("the part about risks", "doc", "S3", "title"),
    ("la partie sur le budget", "doc", "S4", "title"),
    ("tell me about the part on vacuum", "doc", "not_found", "title"),
    ("Budget and costs", "doc", "S4", "title"),
    ("PostgreSQL 15 release notes", "doc", None, None),
    ("I have 2 questions about vacuum", "doc", None, None),
    ("version 2.1 of the API", "doc", None, None),
    ("what is MVCC?", "doc", None, None),
    ("the first time I ran it, it crashed", "doc", None, None),
    ("the point I made earlier still stands", "doc", None, None),
    ("le point a été abordé hier", "doc", None, None),
    ("how do I create an S3 bucket?", "doc", None, None),
    ("wait a second", "doc", None, None),
    ("the last part of my question is about locks", "doc", None, None),
    ("point d'attention : les verrous", "doc", None, None),
    ("upgrade from 14 to 16 in 3 steps", "doc", None, None),
    ("point B", "letters", "S2", "letter"),
    ("le point b", "letters", "S2", "letter"),
    ("partie C", "letters", "S3", "letter"),
    ("item (c)", "letters", "S3", "letter"),
    ("point E", "letters", "out_of_range", "letter"),
    ("et le D ?", "letters", "S4", "letter"),
    ("B", "letters", "S2", "letter"),
    ("points A et C", "letters", "many:S1,S3", "letter"),
    ("le 2e point", "letters", "S2", "ordinal"),
    ("dernier point", "letters", "S4", "ordinal"),
    ("partie II", "letters", "S2", "roman"),
    ("développe le point B sur les coûts", "letters", "S2", "letter"),
    ("partie II", "roman", "S2", "roman"),
    ("section IV", "roman", "S4", "roman"),
    ("point iii", "roman", "S3", "roman"),
    ("la partie ii", "roman", "S2", "roman"),
    ("partie V", "roman", "out_of_range", "roman"),
    ("point B", "roman", "S2.2", "letter"),
    ("le point A de la partie II", "roman", "S2.1", "letter"),
    ("the second point", "roman", "S2", "ordinal"),
    ("the last one", "roman", "S4", "ordinal"),
    ("point 3", "numbered", "S3", "number"),
    ("number 2", "numbered", "S2", "number"),
    ("n°2", "numbered", "S2", "number"),
    ("#4", "numbered", "S4", "number"),
    ("point 7", "numbered", "out_of_range", "number"),
    ("item 5", "numbered", "S5", "number"),
    ("point deux", "numbered", "S2", "number"),
    ("la sixième partie", "numbered", "S6", "ordinal"),
    ("point 2", "offset", "ambiguous", "number"),
    ("S2", "offset", "S2", "section_id"),
    ("the second point", "offset", "S2", "ordinal"),
]


@pytest.mark.parametrize(
    ("message", "outline_name", "expected", "ref_type"), CASES, ids=[f"{c[1]}: {c[0]}" for c in CASES]
)
def test_a_follow_up_resolves_to_the_section_it_means(
    message: str, outline_name: str, expected: str | None, ref_type: str | None
) -> None:
    resolution = resolve_message(message, OUTLINES[outline_name])

    assert resolution.ref_type == ref_type
    if expected is None:
        assert parse_reference(message) is None
        assert resolution.status == "no_reference"
    elif expected.startswith("many:"):
        assert resolution.status == "resolved_many"
        assert [s.id for s in resolution.sections] == expected.removeprefix("many:").split(",")
    elif expected in ("out_of_range", "ambiguous", "not_found"):
        assert resolution.status == expected
        assert not resolution.resolved
        assert resolution.candidates
    else:
        assert resolution.status == "resolved"
        assert resolution.section is not None
        assert resolution.section.id == expected


def test_the_table_covers_at_least_fifty_cases() -> None:
    assert len(CASES) >= 50


def test_a_resolved_reference_reports_the_span_the_user_wrote() -> None:
    message = "Peux-tu détailler le 2e point ?"
    resolution = resolve_message(message, OUTLINES["doc"])

    (start, end) = resolution.spans[0]
    assert message[start:end] == "le 2e point"
    assert resolution.matched_text == "le 2e point"


def test_an_out_of_range_reference_explains_itself_and_offers_the_outline() -> None:
    resolution = resolve_message("S9", OUTLINES["doc"])

    assert resolution.reason is not None and "S9" in resolution.reason
    assert [s.id for s in resolution.candidates] == [s.id for s in OUTLINES["doc"].sections]
    assert resolution.section is None


def test_an_ambiguous_reference_lists_only_the_competing_sections() -> None:
    resolution = resolve_message("point 2", OUTLINES["offset"])

    assert {s.id for s in resolution.candidates} == {"S2", "S3"}


def test_a_repeated_label_is_ambiguous_until_its_parent_is_named() -> None:
    nested = outline_from_deliverable(["I. Contexte", "A. Historique", "B. Enjeux", "II. Méthode", "A. Données"])

    assert resolve_message("point A", nested).status == "ambiguous"
    assert resolve_message("le point A de la partie II", nested).section.id == "S2.1"
    assert resolve_message("partie II, point A", nested).section.id == "S2.1"


def test_a_thread_without_an_outline_resolves_nothing() -> None:
    ref = parse_reference("S2")

    assert resolve_reference(ref, None).status == "no_outline"
    assert resolve_reference(ref, Outline(sections=[])).status == "no_outline"


def test_a_message_without_a_reference_keeps_the_outline_documents_for_search() -> None:
    resolution = resolve_reference(None, OUTLINES["doc"])

    assert resolution.status == "no_reference"
    assert resolution.document_ids == ["doc-42"]


def test_a_resolved_document_section_names_its_document() -> None:
    assert resolve_message("S3", OUTLINES["doc"]).document_ids == ["doc-42"]


def test_log_fields_match_the_queries_log_columns() -> None:
    single = resolve_message("point B", OUTLINES["letters"]).log_fields()
    many = resolve_message("compare S1 and S3", OUTLINES["doc"]).log_fields()
    failed = resolve_message("S9", OUTLINES["doc"]).log_fields()

    assert single == {
        "followup_resolved": True,
        "followup_section_id": "S2",
        "followup_section_title": "Risques",
        "followup_ref_type": "letter",
    }
    assert many["followup_section_id"] == "S1,S3"
    assert failed["followup_resolved"] is False and failed["followup_section_id"] is None


def test_accents_and_case_do_not_change_the_reading() -> None:
    for message in ("Deuxième partie", "deuxieme partie", "DEUXIÈME PARTIE", "la 2ᵉ partie", "2eme partie"):
        assert resolve_message(message, OUTLINES["doc"]).section.id == "S2", message


def test_an_amazon_s3_mention_is_not_a_section() -> None:
    assert parse_reference("copy it to the S3 bucket via the s3:// url") is None
    assert parse_reference("what does S3 say about locks?") is not None


def test_steps_and_options_only_count_when_the_outline_is_made_of_them() -> None:
    steps = outline_from_deliverable(["Étape 1 : Sauvegarde", "Étape 2 : Migration", "Étape 3 : Vérification"])

    assert resolve_message("explain step 3 of the upgrade", OUTLINES["doc"]).status == "no_reference"
    assert resolve_message("give me the first step to install it", OUTLINES["doc"]).status == "no_reference"
    assert resolve_message("is option B cheaper?", OUTLINES["doc"]).status == "no_reference"
    assert resolve_message("détaille l'étape 2", steps).section.id == "S2"
    assert resolve_message("la dernière étape", steps).section.id == "S3"
    assert resolve_message("option B", OUTLINES["letters"]).section.id == "S2"
