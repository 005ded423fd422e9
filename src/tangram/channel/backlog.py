"""Messages a socket sends while one of its joins waits for Redis, without any I/O.

A join is answered only once Redis confirmed the topic's subscription; the socket's
later messages (a push on the topic being joined, typically) must be handled after
it, in order. :class:`Backlog` holds them, bounded in count and in bytes: a socket
that floods while it waits is closed (1008), never buffered without limit.
"""

from __future__ import annotations

from collections import deque

from .inbound import Message

__all__ = ["MAX_BACKLOG", "Backlog"]

#: Messages a socket may send while one of its joins waits for Redis.
MAX_BACKLOG = 1000


class Backlog:
    """The wait state of one socket's joins and the messages held meanwhile."""

    def __init__(self, max_bytes: int, max_messages: int = MAX_BACKLOG) -> None:
        self.max_bytes = max_bytes
        self.max_messages = max_messages
        #: True while a join waits for Redis: messages must be held, not handled.
        self.waiting = False
        #: Bytes held.
        self.held = 0
        self._messages: deque[Message] = deque()

    def hold(self, message: Message) -> bool:
        """Keep ``message`` for later; False (nothing kept) when over a bound."""
        size = len(message.data)
        if len(self._messages) >= self.max_messages or self.held + size > self.max_bytes:
            return False
        self._messages.append(message)
        self.held += size
        return True

    def next(self) -> Message | None:
        """The oldest held message once no join waits (None while one does, or if empty)."""
        if self.waiting or not self._messages:
            return None
        message = self._messages.popleft()
        self.held -= len(message.data)
        return message

    def clear(self) -> None:
        self._messages.clear()
        self.held = 0

    def __len__(self) -> int:
        return len(self._messages)
