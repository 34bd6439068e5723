"""Page images served lately, held in memory by digest: a reader's next fetch of a page
(`api.copies.served_page_image`) is answered without a thread-pool hop or a file read.

Blobs never change under a digest, so nothing held is ever stale. What may be served is
still decided on every fetch by the link's page pointer in Redis (revocation, expiry,
erasure): an image is only looked up here once the pointer names its digest. Erasure also
drops what this process holds (`forget`). Used from the event loop only (no lock)."""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["ServedImages"]


class ServedImages:
    """At most `max_bytes` of images, least recently served out first; an image larger than
    a quarter of that is not kept."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._held: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return len(self._held)

    @property
    def size(self) -> int:
        return self._size

    def get(self, digest: str) -> bytes | None:
        image = self._held.get(digest)
        if image is not None:
            self._held.move_to_end(digest)
        return image

    def keep(self, digest: str, image: bytes) -> None:
        if len(image) > self.max_bytes // 4 or digest in self._held:
            return
        self._held[digest] = image
        self._size += len(image)
        while self._size > self.max_bytes:
            _, dropped = self._held.popitem(last=False)
            self._size -= len(dropped)

    def forget(self, digest: str) -> None:
        image = self._held.pop(digest, None)
        if image is not None:
            self._size -= len(image)
