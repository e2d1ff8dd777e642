"""Real sample files for the parsing tests, written with the libraries that produce them in the wild."""

from __future__ import annotations

import os
from pathlib import Path

import docx
import openpyxl
import pptx
from fpdf import FPDF
from PIL import Image, ImageDraw

FRENCH = "L'installation nécessite un serveur dédié : élèves, œuvre, garçon, où, déjà."
# The PDF core fonts are Latin-1 only (no œ): the PDF sample uses this sentence.
FRENCH_LATIN1 = "Les élèves déjà inscrits reçoivent la clé où qu'ils soient."
JAPANESE = "日本語のテキストも検索できます。東京の天気は晴れです。"
INTRO_SENTENCE = "Aurora keeps every document of a tenant searchable by meaning and by keyword. "
SCOPE_SENTENCE = "The scope covers ingestion, chunking, embedding and hybrid retrieval of documents. "
INSTALL_SENTENCE = "Installation takes a single command and needs no network access at run time. "
PG_HTML_DIR = Path("/usr/share/doc/postgresql-doc-15/html")


class _GuidePdf(FPDF):
    def footer(self) -> None:
        # A running footer on every page: the structure rebuild must keep it out of the body text.
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 6, f"Aurora guide - page {self.page_no()}", align="C")


def _heading(pdf: FPDF, text: str, size: int) -> None:
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", size)
    pdf.cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 11)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def write_guide_pdf(path: Path) -> Path:
    """Title page with a table of contents, then numbered chapters whose body runs over pages 2 and 3."""
    pdf = _GuidePdf()
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(0, 16, "Aurora Administration Guide", new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Contents", 14)
    for entry in (
        "1 Introduction ........................................ 2",
        "1.1 Scope ........................................ 2",
        "2 Installation ........................................ 3",
        "2.1 Prerequisites      3",
    ):
        pdf.cell(0, 7, entry, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    _heading(pdf, "1 Introduction", 16)
    for _ in range(3):
        _paragraph(pdf, INTRO_SENTENCE * 6)
    _heading(pdf, "1.1 Scope", 13)
    for _ in range(6):
        _paragraph(pdf, SCOPE_SENTENCE * 6)
    _heading(pdf, "2 Installation", 16)
    _paragraph(pdf, INSTALL_SENTENCE * 5)
    _paragraph(pdf, FRENCH_LATIN1)
    _heading(pdf, "2.1 Prerequisites", 13)
    _paragraph(pdf, "A Linux or macOS machine with Python 3.11 or newer.")
    pdf.output(str(path))
    return path


def write_encrypted_pdf(path: Path) -> Path:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Confidential quarterly numbers")
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A page that is only a picture of text, as a scanner produces: no text layer at all."""
    image = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(image).text((20, 80), "Scanned invoice 2024", fill="black")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=180)
    pdf.output(str(path))
    return path


def write_docx(path: Path) -> Path:
    d = docx.Document()
    d.add_heading("Rapport annuel 2024", 0)
    d.add_heading("Introduction", 1)
    d.add_paragraph(FRENCH)
    d.add_heading("Contexte", 2)
    d.add_paragraph(JAPANESE)
    table = d.add_table(rows=3, cols=2)
    for i, row in enumerate([("Région", "Chiffre"), ("Europe", "120"), ("Asie", "95")]):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    d.add_heading("Méthode", 2)
    d.add_paragraph("Les chiffres viennent des comptes consolidés.")
    d.add_heading("Conclusion", 1)
    d.add_paragraph("La croissance continue.")
    d.save(str(path))
    return path


def write_pptx(path: Path) -> Path:
    deck = pptx.Presentation()
    for title, body in [
        ("Quarterly review", "Revenue grew 12% in Europe"),
        ("Roadmap", "Ship hybrid search to every tenant"),
        ("日本市場", JAPANESE),
    ]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    deck.save(str(path))
    return path


def write_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    sales = wb.active
    sales.title = "Sales"
    for row in [("Region", "Q1", "Q2"), ("EMEA", 10, 12), ("APAC", 7, 9)]:
        sales.append(row)
    costs = wb.create_sheet("Costs")
    for row in [("Item", "EUR"), ("Rent", 5000), ("Électricité", 800)]:
        costs.append(row)
    wb.save(str(path))
    return path


def write_html(path: Path) -> Path:
    path.write_text(
        "<html><head><meta charset='utf-8'><title>Handbook</title></head><body>"
        "<h1>Team handbook</h1><p>How the team works.</p>"
        "<h2>On-call</h2><p>Each engineer is on call one week per quarter.</p>"
        "<table><tr><th>Week</th><th>Engineer</th></tr><tr><td>1</td><td>Amélie</td></tr>"
        "<tr><td>2</td><td>Kenji</td></tr></table>"
        f"<h2>Travail à distance</h2><p>{FRENCH}</p><h3>東京オフィス</h3><p>{JAPANESE}</p>"
        "</body></html>",
        encoding="utf-8",
    )
    return path


def write_markdown(path: Path) -> Path:
    path.write_text(
        "# Release notes\n\nWhat changed in this release.\n\n## Features\n\nHybrid search.\n\n"
        "| Feature | Status |\n|---|---|\n| BM25 | done |\n| MMR | done |\n\n"
        f"## Corrections\n\n{FRENCH}\n\n### Détails\n\n{JAPANESE}\n",
        encoding="utf-8",
    )
    return path


def write_csv(path: Path) -> Path:
    path.write_text("name,city,score\nAmélie,Paris,91\nKenji,東京,88\nOmar,Lyon,75\n", encoding="utf-8")
    return path


def write_text(path: Path) -> Path:
    path.write_text(
        f"Meeting notes\n\n* not a markdown bullet, just an asterisk\n# not a heading either\n\n{FRENCH}\n\n"
        f"{JAPANESE}\n",
        encoding="utf-8",
    )
    return path


def write_random_bytes(path: Path, size: int = 4096) -> Path:
    path.write_bytes(os.urandom(size))
    return path
