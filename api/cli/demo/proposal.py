"""The demo's proposal: a six-page Chinese PDF (reportlab's built-in STSong-Light CID font,
so no font file is needed), page 5 the pricing page."""

from __future__ import annotations

import io
from typing import Final

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

__all__ = ["PAGE_COUNT", "PRICING_PAGE", "TITLE", "proposal_pdf"]

TITLE: Final = "《2027 年度合作方案》"
PRICING_PAGE: Final = 5
_FONT: Final = "STSong-Light"
_PAGES: Final = (
    ("封面", "星辰智能制造有限公司 × dealsignal — 数字化销售协同项目"),
    (
        "项目背景",
        "贵司销售团队覆盖华东、华南两大区域，现有客户跟进依赖人工汇报，商机状态难以及时掌握。",
    ),
    ("解决方案", "统一文档追踪、客户阅读分析与商机健康度评分，与现有 CRM 双向同步。"),
    ("实施计划", "第一阶段两周完成部署与 CRM 对接；第二阶段四周完成全员培训与数据校准。"),
    (
        "报价",
        "标准版：每席位每年 ¥3,600；企业版：每席位每年 ¥5,800（含专属支持）。"
        "首年 120 席位合计 ¥696,000。",
    ),
    ("合作条款", "合同期三年，按年付款；服务等级协议 99.9%；数据存储于贵司自有服务器。"),
)
PAGE_COUNT: Final = len(_PAGES)


def proposal_pdf() -> bytes:
    """Six A4 pages in Chinese (reportlab's built-in STSong-Light CID font); page 5 is the
    pricing page."""
    pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(TITLE)
    for number, (heading, body) in enumerate(_PAGES, start=1):
        canvas.setFont(_FONT, 22)
        canvas.drawString(72, 770, TITLE if number == 1 else f"{number}. {heading}")
        canvas.setFont(_FONT, 12)
        for line in range(24):
            text = body if line % 3 == 0 else body[line % 7 :] + body[: line % 7]
            canvas.drawString(72, 730 - line * 24, text[:38])
        canvas.setFont(_FONT, 9)
        canvas.drawString(72, 40, f"第 {number} 页 / 共 {len(_PAGES)} 页 — 机密")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
