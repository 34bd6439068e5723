"""Every Redis key dealsignal writes, named in one place. Modules build keys with these
functions, never with their own f-strings, so a key family's layout, lifetime and owner can
be read here (and a Redis Cluster hash tag added once).

    key                                           type    owner           lifetime
    ds:vs:{tenant}:{link}:{viewer}                hash    ingest.visits   VIEWER_STATE_TTL
        last activity ms, visit id, sticky bot reason of one viewer of a link
    ds:lv:{tenant}:{link}                         hash    ingest.visits   LINK_VIEWERS_TTL
        viewer id → "0" first viewer / "1" forwarded
    ds:burst:{tenant}:{contact}                   int     ingest.verdict  1 s
    ds:revoked                                    set     api (revoke)    —
        "{tenant}:{link}" of revoked links; the writer flags their later events
    ds:revoked-at                                 hash    api (revoke)    —
        "{tenant}:{link}" → revocation time (epoch ms): events received from then on
        are left out of scores
    ds:evt:{event_id}                             str     ingest.dedupe   CLAIM_TTL
    ds:man:{manifest}  ·  ds:em:{stream entry}    str     ingest.dedupe   MANIFEST_TTL
    ds:events  ·  ds:events:dead                  stream  ingest          trimmed by writer
    ds:score-epoch:{tenant}                       hash    scoring         —
    ds:score-dirty  ·  ds:score-watched           zset    scoring.warm    bounded
    ds:score:{model}:{kind}:{tenant}:{opp}:{epoch} str    scoring.cache   score_cache_seconds
    ds:job:{name}:lock|last|tenant:{t}:cooldown   str     tracker.scheduler
    {ds:webhooks:{channel}}:due|jobs|lease|owner|dd:{key}   outbound.webhooks (queues)
    ds:notify…                                    outbound.notify (outbox, rate limits)
    ds:linkctx:{tenant}:{link}                    str     api.recipient   1 h
    ds:lcode:{short code}                         str     api.recipient   1 h (unknown: 1 min)
        "{tenant} {link}" of a short link, or "" for a code that names no link
    ds:gate-email:{tenant}:{link}                 hash    api.recipient   —
    ds:consent:{tenant}:{link}                    hash    api.recipient   CONSENT_TTL
        viewer id → "granted|declined {epoch ms}": the buyer's answer to the privacy notice
    ds:passcode-attempts:{link}:all|{address}     int     api.guards      auth window
    ds:web:session:{sid}  ·  ds:web:signin-fail:acct|ip:{digest}   api.web
    ds:wm:{tenant}:{version}:{link}:{spec}  ·  ds:wm:copy:{tenant}:{sha}  ·  ds:png:{sha}:{page}:{w}
                                                  str     api.copies      blob pointers
    ds:lpng:{tenant}:{link}:{version}:{page}:{w}  str     api.copies      ≤ 30 d, ≤ link expiry
        the page image's digest by link, so a served page skips the link and version reads
    ds:render:first  ·  ds:render:later           stream  api.prerender   acked and deleted
        page-image jobs: page 1 of each link, then the other pages (group "renderers")
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CLAIM_TTL_SECONDS",
    "CONSENT_TTL_SECONDS",
    "LINK_VIEWERS_TTL_SECONDS",
    "MANIFEST_TTL_SECONDS",
    "RENDER_FIRST",
    "RENDER_GROUP",
    "RENDER_LATER",
    "REVOKED_AT",
    "REVOKED_LINKS",
    "SCORE_DIRTY",
    "SCORE_WATCHED",
    "VIEWER_STATE_TTL_SECONDS",
    "burst",
    "copies_of_link",
    "copy_version",
    "entry_manifest",
    "event_claim",
    "gate_email",
    "job_last",
    "job_lock",
    "job_tenant_cooldown",
    "link_code",
    "link_context",
    "link_page_image",
    "link_page_images",
    "link_viewers",
    "manifest",
    "page_image",
    "page_images_of",
    "passcode_attempts",
    "revoked_member",
    "score_entry_prefix",
    "score_epochs",
    "score_member",
    "signin_failures",
    "viewer_consent",
    "viewer_state",
    "watermarked_copy",
    "web_session",
]

VIEWER_STATE_TTL_SECONDS: Final = 7 * 86_400
LINK_VIEWERS_TTL_SECONDS: Final = 400 * 86_400
CONSENT_TTL_SECONDS: Final = 400 * 86_400
# Claims only need to outlive client retries (a viewer session lives 12 h) and a stalled
# writer's replay; one key per event, so the TTL is what bounds Redis memory.
CLAIM_TTL_SECONDS: Final = 2 * 86_400
MANIFEST_TTL_SECONDS: Final = 7 * 86_400

REVOKED_LINKS: Final = "ds:revoked"
RENDER_FIRST: Final = "ds:render:first"
RENDER_LATER: Final = "ds:render:later"
RENDER_GROUP: Final = "renderers"
REVOKED_AT: Final = "ds:revoked-at"
SCORE_DIRTY: Final = "ds:score-dirty"
SCORE_WATCHED: Final = "ds:score-watched"
_SEPARATOR: Final = "\x1f"


# ingest
def viewer_state(tenant_id: str, link_id: str, viewer_id: str) -> str:
    return f"ds:vs:{tenant_id}:{link_id}:{viewer_id}"


def link_viewers(tenant_id: str, link_id: str) -> str:
    return f"ds:lv:{tenant_id}:{link_id}"


def burst(tenant_id: str, contact_id: str) -> str:
    return f"ds:burst:{tenant_id}:{contact_id}"


def revoked_member(tenant_id: str, link_id: str) -> str:
    return f"{tenant_id}:{link_id}"


def event_claim(event_id: str) -> str:
    return f"ds:evt:{event_id}"


def manifest(manifest_id: str) -> str:
    return f"ds:man:{manifest_id}"


def entry_manifest(entry_id: str) -> str:
    return f"ds:em:{entry_id}"


# scoring
def score_epochs(tenant_id: str) -> str:
    return f"ds:score-epoch:{tenant_id}"


def score_member(tenant_id: str, opportunity_id: str) -> str:
    """Member of SCORE_DIRTY / SCORE_WATCHED for one opportunity."""
    return f"{tenant_id}{_SEPARATOR}{opportunity_id}"


def score_entry_prefix(model_version: str, kind: str, tenant_id: str, opportunity_id: str) -> str:
    """A cached score's key without its epoch (the read script appends the current one)."""
    return f"ds:score:{model_version}:{kind}:{tenant_id}:{opportunity_id}:"


# scheduler
def job_lock(job: str) -> str:
    return f"ds:job:{job}:lock"


def job_last(job: str) -> str:
    return f"ds:job:{job}:last"


def job_tenant_cooldown(job: str, tenant_id: str) -> str:
    return f"ds:job:{job}:tenant:{tenant_id}:cooldown"


# recipient pages
def link_code(code: str) -> str:
    return f"ds:lcode:{code}"


def link_context(tenant_id: str, link_id: str) -> str:
    return f"ds:linkctx:{tenant_id}:{link_id}"


def viewer_consent(tenant_id: str, link_id: str) -> str:
    return f"ds:consent:{tenant_id}:{link_id}"


def gate_email(tenant_id: str, link_id: str) -> str:
    return f"ds:gate-email:{tenant_id}:{link_id}"


def passcode_attempts(link_id: str, source: str) -> str:
    """`source`: "all" (the link's whole budget) or a hashed client address."""
    return f"ds:passcode-attempts:{link_id}:{source}"


# web app
def web_session(session_id: str) -> str:
    return f"ds:web:session:{session_id}"


def signin_failures(kind: str, digest: str) -> str:
    """`kind`: "acct" (a normalised email) or "ip" (a client address), both hashed."""
    return f"ds:web:signin-fail:{kind}:{digest}"


# watermarked copies and page images (pointers to blobs)
def watermarked_copy(tenant_id: str, version_id: str, link_id: str, spec: str) -> str:
    return f"ds:wm:{tenant_id}:{version_id}:{link_id}:{spec}"


def copy_version(tenant_id: str, copy_sha256: str) -> str:
    return f"ds:wm:copy:{tenant_id}:{copy_sha256}"


def page_image(copy_sha256: str, page: int, width: int) -> str:
    return f"ds:png:{copy_sha256}:{page}:{width}"


def link_page_image(tenant_id: str, link_id: str, version_id: str, page: int, width: int) -> str:
    """The page image a link's reader was served, by link: the viewer's page route reads it
    without looking the link up (the pointer never outlives the link's expiry)."""
    return f"ds:lpng:{tenant_id}:{link_id}:{version_id}:{page}:{width}"


def link_page_images(tenant_id: str, link_id: str) -> str:
    """SCAN pattern: every by-link page-image pointer of one link."""
    return f"ds:lpng:{tenant_id}:{link_id}:*"


def copies_of_link(tenant_id: str, link_id: str) -> str:
    """SCAN pattern: every watermarked-copy pointer of one link (any version, any stamp)."""
    return f"ds:wm:{tenant_id}:*:{link_id}:*"


def page_images_of(copy_sha256: str) -> str:
    """SCAN pattern: every page image made from one copy."""
    return f"ds:png:{copy_sha256}:*"
