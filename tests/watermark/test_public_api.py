import watermark


def test_public_names_are_pinned() -> None:
    assert sorted(watermark.__all__) == [
        "Confidence",
        "DEFAULT_TEMPLATE",
        "Identification",
        "Mark",
        "MarkFinding",
        "PageFacts",
        "PdfFacts",
        "Position",
        "WatermarkSpec",
        "count_words",
        "identify_pdf",
        "inspect_pdf",
        "page_count",
        "render_page_png",
        "sanitise_pdf",
        "stamp_pdf",
    ]
    for name in watermark.__all__:
        assert hasattr(watermark, name)
