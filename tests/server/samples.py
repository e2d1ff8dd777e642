"""Documents the surface tests ingest: a Markdown handbook, a DOCX and a PDF generated here, PostgreSQL manual pages."""

from __future__ import annotations

from pathlib import Path

PG_HTML_DIR = Path("/usr/share/doc/postgresql-doc-15/html")
PG_PAGES = ("sql-vacuum.html", "tutorial-window.html", "datatype-boolean.html")

HANDBOOK_MD = """\
# Staff Handbook

The handbook of the Nimbus company, for every employee.

## Vacation policy

Employees accrue two vacation days per month. Requests for leave go to the team lead two weeks ahead;
unused vacation days expire at the end of March.

## Expense reports

Travel expenses are reimbursed within ten days when the expense report carries every receipt. Taxi rides
need a written justification; first-class train tickets are never reimbursed.

## Security rules

Badges must be worn at all times inside the building. Lost badges are reported to the security desk,
which disables them within the hour.
"""


def write_docx(path: Path) -> Path:
    """A Word report with real heading styles, about maintaining an orbital telescope."""
    import docx

    document = docx.Document()
    document.add_heading("Telescope Maintenance Report", level=0)
    document.add_heading("Mirror cleaning", level=1)
    document.add_paragraph(
        "The primary mirror of the orbital telescope is cleaned with carbon dioxide snow every eighteen months; "
        "the procedure takes four hours and needs the dust covers closed."
    )
    document.add_heading("Gyroscope replacement", level=1)
    document.add_paragraph(
        "Two of the six gyroscopes were replaced during the servicing mission; the spares are kept in the "
        "cleanroom of the integration hall."
    )
    document.save(str(path))
    return path


def write_pdf(path: Path) -> Path:
    """A two-section PDF about glacier hydrology, written with fpdf2."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, "Glacier Hydrology Notes", new_x="LMARGIN", new_y="NEXT")
    for heading, body in (
        (
            "1 Meltwater channels",
            "Supraglacial meltwater channels carve the ice surface during the ablation "
            "season and drain into moulins that feed the englacial drainage system. " * 3,
        ),
        (
            "2 Proglacial lakes",
            "Proglacial lakes form behind terminal moraines; a moraine breach can release "
            "a glacial lake outburst flood that travels tens of kilometres downstream. " * 3,
        ),
    ):
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path
