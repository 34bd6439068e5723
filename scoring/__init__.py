"""dealsignal."""
