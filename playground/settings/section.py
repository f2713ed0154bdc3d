"""The base of a model kind's config section: one hook to check it against the whole run."""

from __future__ import annotations

from typing import Any


class Section:
    """Mixed into each section's frozen dataclass (RunConfig.seq, .ae, .gan, .som, ...).

    RunConfig.__post_init__ calls `check_run` on every section, so a section refuses what does
    not fit the rest of the run (a kind's layers with another kind, its datasets, ...) with a
    ConfigError naming the field. A section whose model kind is not the run's checks only that
    its own layers and datasets are not used elsewhere.
    """

    def check_run(self, run: Any) -> None:
        """Raise ConfigError when this section does not fit `run` (a RunConfig)."""
