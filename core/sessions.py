"""Sessions read from the cache, kept in the database (Django's ``cached_db``): a page's session
costs no database query (issue 19: the set-up of each request), and a session survives a cache
flush or restart (read again from its row, then cached again).

The cache is an accelerator only: when it cannot be reached, sessions are read from and written
to the database as before, instead of failing the request. Deleting a session (log-out) still
removes its cached copy or fails: a session must never outlive its log-out in the cache.
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

logger = logging.getLogger(__name__)


class SessionStore(CachedDBStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # noqa: BLE001 - an invalid key, an unreachable cache: read the row
            data = None
        if data is not None:
            return data
        row = self._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
        except Exception:  # noqa: BLE001
            logger.warning("Session non mise en cache (cache injoignable) : lue en base.", exc_info=True)
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:  # noqa: BLE001 - the row decides
            logger.warning("Cache injoignable : existence de la session vérifiée en base.", exc_info=True)
        return super(CachedDBStore, self).exists(session_key)
