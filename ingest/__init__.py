"""dealsignal ingest package."""
