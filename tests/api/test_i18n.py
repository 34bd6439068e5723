"""Every user-visible string goes through the catalogs, and the viewer speaks Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from api.catalogs import CATALOG_LOCALES, catalog_path, extract_messages
from api.i18n import negotiate, translator_for
from tests.api.conftest import bearer, make_key
from tests.pdfs import proposal
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

TEMPLATES = Path(__file__).parents[2] / "api" / "templates"
_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
_BLOCKS = re.compile(r"<(style|script)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>", re.S)
_ATTR = re.compile(r'\b(alt|title|aria-label|placeholder)="([^"]*)"', re.I)


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_every_message_is_translated_and_catalogs_are_current(locale: str) -> None:
    with catalog_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    translated = {str(m.id): m.string for m in catalog if m.id}
    used = extract_messages()
    missing = sorted(m for m in used if not translated.get(m))
    assert not missing, f"add to {locale} (python -m api.catalogs): {missing}"
    assert not sorted(set(translated) - set(used)), "stale entries: run python -m api.catalogs"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_have_no_literal_text_outside_the_catalog(template: Path) -> None:
    source = template.read_text()
    for name, value in _ATTR.findall(source):
        assert not _JINJA.sub("", value).strip(), f'literal {name}="{value}" in {template.name}'
    text = _TAG.sub(" ", _BLOCKS.sub(" ", _JINJA.sub(" ", source)))
    words = re.findall(r"[^\W\d_]{2,}", text)
    assert not words, f"untranslatable text in {template.name}: {words[:5]}"


def test_negotiation_order() -> None:
    assert negotiate("zh_CN", "en-US,en;q=0.9", "en") == "zh_CN"
    assert negotiate("", "zh-CN,zh;q=0.9,en;q=0.8", "en") == "zh_CN"
    assert negotiate("", "fr-FR, en;q=0.5", "zh_CN") == "en"
    assert negotiate("", "fr-FR", "zh_CN") == "zh_CN"
    assert negotiate("", None, "en") == "en"
    assert negotiate("", "zh-TW;q=0.1, en;q=0.9", "en") == "en"
    assert translator_for("zh_CN").gettext("Link not found") == "找不到此链接"


def test_viewer_and_notices_follow_the_reader_and_the_link(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, key = make_key(clickhouse, "华东", Scope.REPS)
    doc = client.post(
        "/api/v1/documents",
        headers=bearer(key),
        data={"title": "年度合作方案"},
        files={"file": ("方案.pdf", proposal(2), "application/pdf")},
    ).json()
    recipients = [{"email": "wang@example.cn", "name": "王总"}]
    plain, chinese = (
        client.post(
            "/api/v1/links",
            headers=bearer(key),
            json={"document_id": doc["document_id"], "recipients": recipients, "locale": locale},
        ).json()["links"][0]
        for locale in ("", "zh_CN")
    )
    browser_zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    assert '<html lang="zh-CN">' in client.get(plain["viewer_url"], headers=browser_zh).text
    assert "下载 PDF" in client.get(chinese["viewer_url"]).text
    assert "Download PDF" in client.get(plain["viewer_url"]).text
    client.post(f"/api/v1/links/{chinese['id']}/revoke", headers=bearer(key))
    gone = client.get(chinese["viewer_url"])
    assert gone.status_code == 410 and "发送人已撤回此文档。" in gone.text
    missing = client.get("/v/not-a-token", headers=browser_zh)
    assert missing.status_code == 404 and "找不到此链接" in missing.text
