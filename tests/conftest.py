"""Shared pytest fixtures: Streamlit cache hygiene, GPU skips, a live server and a browser."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser_harness import (
    REPO_ROOT,
    launch_chromium,
    start_playwright,
    start_streamlit,
    stop_process,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def _clear_resource_caches() -> None:
    """Clear st.cache_resource (running each on_release) if Streamlit has been imported."""
    st = sys.modules.get("streamlit")
    if st is not None:
        st.cache_resource.clear()


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    """All AppTest runs share one session id: clear session-scoped resources around each test."""
    _clear_resource_caches()
    yield
    _clear_resource_caches()


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests that use the server or browser as `browser`; skip `gpu` tests without CUDA."""
    for item in items:
        if {"streamlit_server", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if gpu_items and not _has_cuda():
        for item in gpu_items:
            item.add_marker(pytest.mark.skip(reason="needs CUDA"))


def _has_cuda() -> bool:
    """True if torch sees a CUDA device (torch is imported only when a gpu test exists)."""
    import torch

    return torch.cuda.is_available()


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of `streamlit run serve.py` (the app as the README runs it: live views pull their
    frames) started from the repo root on a free loopback port."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    proc, url = start_streamlit(REPO_ROOT / "serve.py", log_path)
    yield url
    stop_process(proc)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium through Playwright (skipped locally if missing, failed in CI)."""
    playwright = start_playwright()
    try:
        chromium = launch_chromium(playwright)
    except BaseException:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()
