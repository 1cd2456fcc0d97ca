"""The Redis cache whose ``clear()`` removes only its own keys.

Django's ``RedisCache.clear()`` runs FLUSHDB: the whole Redis database, whatever shares it — other
processes' caches with another ``KEY_PREFIX`` (each pytest-xdist worker's, a second deployment's)
and anything else kept there. This one deletes the keys under its own prefix only.
"""

from django.core.cache.backends.redis import RedisCache


class PrefixedRedisCache(RedisCache):
    def clear(self) -> None:
        client = self._cache.get_client(write=True)
        batch: list = []
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
