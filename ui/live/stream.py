"""The live view's own channel: the browser pulls each new frame over HTTP, outside Streamlit.

Under `streamlit run serve.py` (st.App with the route below) a live view does not rerun a
Streamlit fragment per frame. Its component gets one small link message; its JavaScript then
asks `GET /live-frame/<token>` in a loop, and each answer is the update (ui/live/payload.py)
for the newest snapshot the browser has not drawn yet, encoded in the server's event loop in
about a millisecond. A request with nothing new waits up to WAIT_S, then answers 204. Streamlit
itself runs only for what people do (clicks, widgets) and the slower status line.

A token names one live view of one browser tab: the tab's session state holds its Stream, the
registry only a weak reference, so a closed session's stream (and its trainer) goes away.
Under plain `streamlit run app.py` (and AppTest) there is no route: the fragment sends updates.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
import weakref
from typing import Any

from ui.live.payload import Seen, encode, link_message

PATH = "/live-frame"
WAIT_S = 2.0  # a pull with nothing new waits this long, then answers 204 (no content)
POLL_S = 0.004  # how often a waiting pull looks for a new snapshot
_NO_STORE = {"Cache-Control": "no-store"}

_streams: weakref.WeakValueDictionary[str, Stream] = weakref.WeakValueDictionary()
_served = False  # set by routes(): serve.py's st.App answers PATH


def served() -> bool:
    """True when this server answers the frame route (the app runs under serve.py)."""
    return _served


class Stream:
    """One live view's frames: the trainer it shows, its display options, what was sent."""

    def __init__(self, thumb_res: int = 16, grid_res: int = 100) -> None:
        self.token = secrets.token_urlsafe(16)
        self.thumb_res, self.grid_res = thumb_res, grid_res
        self._lock = threading.Lock()
        self._trainer: Any = None  # a weak reference: the session's slot owns the trainer
        self._view: dict[str, Any] = {}
        self._seen = Seen()
        self._sent: Any = None  # the snapshot last sent
        self._sent_view: dict[str, Any] = {}
        _streams[self.token] = self

    @property
    def url(self) -> str:
        return f"{PATH}/{self.token}"

    def show(self, trainer: Any, view: dict[str, Any]) -> bytes:
        """Point the stream at `trainer` with these display options; the component's message."""
        with self._lock:
            self._trainer = weakref.ref(trainer)
            self._view = dict(view)
        return link_message(self.url)

    def frame(self, full: bool = False) -> bytes | None:
        """The update for the newest snapshot (everything when `full`); None if already sent.
        Raises LookupError when the trainer is gone."""
        with self._lock:
            trainer = self._trainer() if self._trainer else None
            if trainer is None:
                raise LookupError("no trainer")
            snap = trainer.latest()
            if not full and snap is self._sent and self._view == self._sent_view:
                return None
            enc = encode(
                snap, trainer.info, Seen() if full else self._seen, full=full, view=self._view,
                thumb_res=self.thumb_res, grid_res=self.grid_res,
            )  # fmt: skip
            self._seen, self._sent, self._sent_view = enc.seen, snap, self._view
            return enc.data


async def _frame(request: Any) -> Any:
    from starlette.responses import Response

    stream = _streams.get(request.path_params["token"])
    if stream is None:
        return Response(status_code=404, headers=_NO_STORE)
    full = request.query_params.get("full") == "1"
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            data = stream.frame(full)
        except LookupError:
            return Response(status_code=410, headers=_NO_STORE)
        if data is not None:
            return Response(data, media_type="application/octet-stream", headers=_NO_STORE)
        if time.monotonic() > deadline:
            return Response(status_code=204, headers=_NO_STORE)
        await asyncio.sleep(POLL_S)


def routes() -> list[Any]:
    """The st.App routes that serve frames (serve.py); from now on live views use them."""
    from starlette.routing import Route

    global _served
    _served = True
    return [Route(PATH + "/{token}", _frame, methods=["GET"])]
