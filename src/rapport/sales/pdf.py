"""The PDF of a quote, drawn with ReportLab (BSD licence), in memory."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from rapport.sales.models import Quote


def _amount(value: Any, currency: str = "") -> str:
    text = f"{value:,.2f}"
    return f"{currency} {text}" if currency else text


def quote_pdf(quote: Quote, *, workspace: Any) -> bytes:
    """The quote as an A4 PDF: header, customer, lines, totals, validity and notes."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Quote {quote.reference}",
        author=str(workspace.name),
    )
    styles = getSampleStyleSheet()
    small = styles["Normal"].clone("small", fontSize=8.5, leading=11)
    story: list[Any] = [
        Paragraph(escape(str(workspace.name)), styles["Title"]),
        Paragraph(f"Quote {escape(quote.reference)} — {escape(quote.title)}", styles["Heading2"]),
    ]
    facts = [f"Issued on {quote.issued_on:%Y-%m-%d}"]
    if quote.valid_until:
        facts.append(f"valid until {quote.valid_until:%Y-%m-%d}")
    customer = quote.deal.company.name if quote.deal.company_id else ""
    if quote.contact_id:
        customer = f"{quote.contact}" + (f", {customer}" if customer else "")
    if customer:
        facts.append(f"for {customer}")
    story += [Paragraph(escape(" · ".join(facts)), styles["Normal"]), Spacer(1, 6 * mm)]

    rows: list[list[Any]] = [["Item", "Qty", "Unit price", "Discount", "Tax", "Net"]]
    for line in quote.lines.all():
        name = escape(line.name) + (f"<br/><font size=8>{escape(line.description)}</font>" if line.description else "")
        rows.append(
            [
                Paragraph(name, small),
                f"{line.quantity.normalize():f}",
                _amount(line.unit_price),
                f"{line.discount_percent.normalize():f}%",
                f"{line.tax_rate.normalize():f}%",
                _amount(line.net_amount),
            ]
        )
    totals = [
        ("Subtotal", quote.subtotal),
        ("Discount", -quote.discount_total),
        ("Tax", quote.tax_total),
        ("Total", quote.total),
    ]
    first_total = len(rows)
    for label, value in totals:
        rows.append(["", "", "", "", label, _amount(value, quote.currency if label == "Total" else "")])
    table = Table(rows, colWidths=[70 * mm, 16 * mm, 25 * mm, 20 * mm, 20 * mm, 28 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (4, first_total), (-1, first_total), 0.5, colors.grey),
                ("FONTNAME", (4, len(rows) - 1), (-1, len(rows) - 1), "Helvetica-Bold"),
            ]
        )
    )
    story += [table, Spacer(1, 6 * mm)]
    if quote.notes:
        story.append(Paragraph(escape(quote.notes).replace("\n", "<br/>"), styles["Normal"]))
    document.build(story)
    return buffer.getvalue()
