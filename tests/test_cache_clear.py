"""``cache.clear()`` removes this suite's keys only: under pytest-xdist another worker's cache
(another ``KEY_PREFIX`` in the same Redis database) must survive it — a flushed database once
reset a running RNCP import's live progress to 0 in another worker's test."""

import redis
from django.conf import settings
from django.core.cache import cache


def test_clear_keeps_the_keys_of_another_prefix():
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    client.set("another-suite:1:progress", b"62")
    try:
        cache.set("mine", 1)
        cache.clear()
        assert cache.get("mine") is None
        assert client.get("another-suite:1:progress") == b"62"
    finally:
        client.delete("another-suite:1:progress")
