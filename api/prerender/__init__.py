"""Page images rendered in the background, so a buyer's first open is a cache hit.

Making links (or a new revision of a linked document) queues one job per page of each live
link (`queue`); a bounded pool of worker tasks renders the recipient's stamped copy at the
viewer's widths (`pool`), page 1 of every link before any later page. A job is dropped
unread when its link was revoked, expired or erased, its document is gone, or a newer
revision superseded it (`job`). Jobs are acknowledged only once done, so a crashed or
restarted process's work is claimed again; one that keeps failing is dropped and counted."""

from api.prerender.job import RenderJob
from api.prerender.pool import RenderPool
from api.prerender.queue import enqueue_links, enqueue_revision

__all__ = ["RenderJob", "RenderPool", "enqueue_links", "enqueue_revision"]
