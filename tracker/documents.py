"""Documents and their versions (revisions of the same proposal). The PDF itself lives in
the blob store under its sha256; rows here carry what scoring needs (pages, words per page,
page tags such as `pricing`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

import pyarrow as pa

from tracker.clock import TS, utcnow
from tracker.cursors import CURSOR_SQL, Cursor
from tracker.errors import BadRequest, NotFound
from tracker.ids import new_id
from tracker.stores.clickhouse import ClickHouse
from tracker.stores.entities import EntityTable

__all__ = [
    "Document",
    "DocumentVersion",
    "NewVersion",
    "add_version",
    "create_document",
    "get_document",
    "get_version",
    "list_documents",
    "list_versions",
    "set_page_tags",
]


@dataclass(frozen=True)
class NewVersion:
    filename: str
    sha256: str
    size_bytes: int
    page_words: tuple[int, ...]
    page_tags: tuple[tuple[str, ...], ...] = ()

    @property
    def pages(self) -> int:
        return len(self.page_words)


@dataclass(frozen=True)
class Document:
    tenant_id: str
    document_id: str
    title: str
    opportunity_id: str
    owner: str
    current_version_id: str
    created_at: datetime


@dataclass(frozen=True)
class DocumentVersion:
    tenant_id: str
    document_id: str
    version_id: str
    revision: int
    filename: str
    sha256: str
    size_bytes: int
    pages: int
    page_words: tuple[int, ...]
    page_tags: tuple[tuple[str, ...], ...]
    created_at: datetime

    def pages_tagged(self, tag: str) -> list[int]:
        return [i + 1 for i, tags in enumerate(self.page_tags) if tag in tags]


DOCUMENTS: Final = EntityTable("documents", Document, {"created_at": TS}, soft_delete=True)
VERSIONS: Final = EntityTable(
    "document_versions",
    DocumentVersion,
    {
        "revision": pa.uint32(),
        "size_bytes": pa.uint64(),
        "pages": pa.uint16(),
        "page_words": pa.list_(pa.uint32()),
        "page_tags": pa.list_(pa.list_(pa.string())),
        "created_at": TS,
    },
)


def _normalise_tags(new: NewVersion) -> tuple[tuple[str, ...], ...]:
    tags = list(new.page_tags)[: new.pages]
    tags += [()] * (new.pages - len(tags))
    return tuple(tuple(t) for t in tags)


def _version(tenant_id: str, document_id: str, revision: int, new: NewVersion) -> DocumentVersion:
    return DocumentVersion(
        tenant_id=tenant_id,
        document_id=document_id,
        version_id=new_id("version"),
        revision=revision,
        filename=new.filename,
        sha256=new.sha256,
        size_bytes=new.size_bytes,
        pages=new.pages,
        page_words=new.page_words,
        page_tags=_normalise_tags(new),
        created_at=utcnow(),
    )


def create_document(
    ch: ClickHouse,
    tenant_id: str,
    *,
    title: str,
    first_version: NewVersion,
    opportunity_id: str = "",
    owner: str = "",
) -> tuple[Document, DocumentVersion]:
    document_id = new_id("document")
    version = _version(tenant_id, document_id, 1, first_version)
    doc = Document(
        tenant_id, document_id, title, opportunity_id, owner, version.version_id, version.created_at
    )
    # Version first: a document row never points at a version that is not there.
    VERSIONS.write(ch, [version])
    DOCUMENTS.write(ch, [doc])
    return doc, version


def add_version(
    ch: ClickHouse, tenant_id: str, document_id: str, new: NewVersion
) -> tuple[Document, DocumentVersion]:
    doc = get_document(ch, tenant_id, document_id)
    revision = max(v.revision for v in list_versions(ch, tenant_id, document_id)) + 1
    version = _version(tenant_id, document_id, revision, new)
    VERSIONS.write(ch, [version])
    updated = replace(doc, current_version_id=version.version_id)
    DOCUMENTS.write(ch, [updated])
    return updated, version


def get_document(ch: ClickHouse, tenant_id: str, document_id: str) -> Document:
    found = DOCUMENTS.find(ch, tenant_id, document_id=document_id)
    if found is None:
        raise NotFound("unknown document", code="document_not_found")
    return found


def list_documents(
    ch: ClickHouse,
    tenant_id: str,
    *,
    opportunity_id: str | None = None,
    limit: int = 200,
    after: Cursor | None = None,
) -> list[Document]:
    """Newest first; `after` continues from the last document of a previous page."""
    equals = {} if opportunity_id is None else {"opportunity_id": opportunity_id}
    return DOCUMENTS.select(
        ch,
        tenant_id,
        equals=equals,
        where=f"(created_at, document_id) < {CURSOR_SQL}" if after else "",
        params=after.params() if after else None,
        order_by="created_at DESC, document_id DESC",
        limit=limit,
    )


def get_version(ch: ClickHouse, tenant_id: str, version_id: str) -> DocumentVersion:
    found = VERSIONS.find(ch, tenant_id, version_id=version_id)
    if found is None:
        raise NotFound("unknown document version", code="version_not_found")
    return found


def list_versions(ch: ClickHouse, tenant_id: str, document_id: str) -> list[DocumentVersion]:
    return VERSIONS.select(ch, tenant_id, equals={"document_id": document_id}, order_by="revision")


def set_page_tags(
    ch: ClickHouse, tenant_id: str, document_id: str, version_id: str, tags: dict[int, list[str]]
) -> DocumentVersion:
    """Replace the tags of the given pages (1-based); other pages keep theirs."""
    version = get_version(ch, tenant_id, version_id)
    if version.document_id != document_id:
        raise NotFound("unknown document version", code="version_not_found")
    bad = [page for page in tags if not 1 <= page <= version.pages]
    if bad:
        raise BadRequest(f"pages out of range: {bad}", code="page_out_of_range")
    merged = [list(t) for t in version.page_tags]
    for page, names in tags.items():
        merged[page - 1] = sorted({n.strip().lower() for n in names if n.strip()})
    updated = replace(version, page_tags=tuple(tuple(t) for t in merged))
    VERSIONS.write(ch, [updated])
    return updated
