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
        "PreparedImage",
        "PreparedPdf",
        "RENDER_WIDTHS",
        "WatermarkSpec",
        "count_words",
        "identify_pdf",
        "inspect_pdf",
        "is_image",
        "page_count",
        "prepare_image",
        "prepare_pdf",
        "render_page_png",
        "sanitise_pdf",
        "snap_render_width",
        "stamp_pdf",
    ]
    for name in watermark.__all__:
        assert hasattr(watermark, name)
