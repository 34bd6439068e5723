"""What a buyer's browser and mail client reach, authenticated by signed tokens only: the
tracked link, email pixel, viewer with its gates, downloads, the beacon fast path, and the
mute link in people's notifications."""

__all__: list[str] = []
