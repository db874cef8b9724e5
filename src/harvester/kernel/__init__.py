"""What the web app and the CLI both show, written once: CSV cells a spreadsheet reads
as data (``csv_cells``), the one column set of domain exports (``export_columns``) and a
run's timeline (``timeline``). Pure: it imports nothing else of the harvester."""
