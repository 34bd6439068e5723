"""dealsignal watermark package."""
