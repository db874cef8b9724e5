"""The day's report rendered as a standalone HTML file or as CSV."""

from harvester.web.report.render import CSV_COLUMNS, render_csv, render_html

__all__ = ["CSV_COLUMNS", "render_csv", "render_html"]
