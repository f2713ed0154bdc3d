"""The live view's own channel: the browser pulls each new frame over HTTP, outside Streamlit.

Under `streamlit run serve.py` (st.App with the route below) a live view does not rerun a
Streamlit fragment per frame. Its component gets one small link message; its JavaScript then
asks `GET /live-frame/<token>` in a loop, and each answer is the update (ui/live/payload.py)
for the newest snapshot the browser has not drawn yet, encoded in the server's event loop in
about a millisecond. A request with nothing new waits (the trainer wakes it when it publishes)
up to WAIT_S, then answers 204. Streamlit
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
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._waiting_lock = threading.Lock()  # taken by the trainer's thread: never held long
        _streams[self.token] = self

    @property
    def url(self) -> str:
        return f"{PATH}/{self.token}"

    def show(self, trainer: Any, view: dict[str, Any]) -> bytes:
        """Point the stream at `trainer` with these display options; the component's message."""
        with self._lock:
            if self._trainer is None or self._trainer() is not trainer:
                trainer.watch(self.news)
            self._trainer = weakref.ref(trainer)
            self._view = dict(view)
        self.news()  # new display options are news too
        return link_message(self.url)

    def news(self) -> None:
        """Something new to send (the trainer published, the view changed): wake the pulls
        waiting for it. Called from any thread."""
        with self._waiting_lock:
            waiting = list(self._waiting)
        for loop, event in waiting:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that event loop has closed
                pass

    def waiter(self) -> asyncio.Event:
        """An event that news() sets; give it back with unwait()."""
        event = asyncio.Event()
        with self._waiting_lock:
            self._waiting.append((asyncio.get_running_loop(), event))
        return event

    def unwait(self, event: asyncio.Event) -> None:
        with self._waiting_lock:
            self._waiting = [w for w in self._waiting if w[1] is not event]

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
        news = stream.waiter()  # before looking: news from now on is not missed
        try:
            try:
                data = stream.frame(full)
            except LookupError:
                return Response(status_code=410, headers=_NO_STORE)
            if data is not None:
                return Response(data, media_type="application/octet-stream", headers=_NO_STORE)
            left = deadline - time.monotonic()
            if left <= 0:
                return Response(status_code=204, headers=_NO_STORE)
            try:
                await asyncio.wait_for(news.wait(), left)
            except asyncio.TimeoutError:  # (TimeoutError itself from Python 3.11 on)
                pass
        finally:
            stream.unwait(news)


def routes() -> list[Any]:
    """The st.App routes that serve frames (serve.py); from now on live views use them."""
    from starlette.routing import Route

    global _served
    _served = True
    return [Route(PATH + "/{token}", _frame, methods=["GET"])]
