"""The `lessons` command: list the lessons, or check every lesson's claim (JSON on stdout)."""

from __future__ import annotations

import argparse
import json

from playground.lessons.catalog import LESSONS
from playground.lessons.lesson import run_checks


def cmd_lessons(args: argparse.Namespace) -> int:
    """List the lessons; with --check, run each one's check and print one JSON object (exit 1
    when a claim fails)."""
    names = args.name or list(LESSONS)
    unknown = [n for n in names if n not in LESSONS]
    if unknown:
        raise ValueError(f"unknown lesson {unknown[0]!r}; known: {', '.join(LESSONS)}")
    if not args.check:
        for name in names:
            lesson = LESSONS[name]
            print(f"{name}: {lesson.title} ({lesson.page} page) - {lesson.claim}")
        return 0
    result = run_checks(LESSONS, names)
    print(json.dumps(result))
    return 0 if result["pass"] else 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `lessons` on the command line's subparsers."""
    p = sub.add_parser("lessons", help="list the guided lessons; --check measures every claim")
    p.add_argument("--check", action="store_true", help="run each lesson headless and check "
                   "its claim; one JSON object, exit 1 if any fails")  # fmt: skip
    p.add_argument("name", nargs="*", help="only these lessons (default: all)")
    p.set_defaults(func=cmd_lessons)
