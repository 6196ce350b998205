"""Abstract interfaces users implement; for now the OAUTHBEARER token provider.

aiokafka-compatible: ``AbstractTokenProvider.token()`` is a coroutine returning the raw
token string; ``extensions()`` returns SASL extensions (KIP-342). Must not import anything
heavy: it is imported by users' modules.
"""

from __future__ import annotations

import abc

__all__ = ["AbstractTokenProvider"]


class AbstractTokenProvider(abc.ABC):
    """Supplies OAUTHBEARER tokens; called before every (re-)authentication."""

    @abc.abstractmethod
    async def token(self) -> str:
        """An ID/access token to send to the broker."""

    def extensions(self) -> dict[str, str]:
        """SASL extensions sent with the token (none by default)."""
        return {}
