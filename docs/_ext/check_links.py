"""Check the internal links of a built HTML site: offline, no request leaves the machine.

``python docs/_ext/check_links.py docs/_build/html`` reads every page, and every ``href``
and ``src`` that points into the site (no scheme, not protocol-relative) must name a file
that exists, and its ``#fragment`` an ``id`` (or ``name``) in that file. External links
are not checked: the build machines reach no web site. Exit status 1 lists each broken
link with the page it is on.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

_LINK_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "iframe": "src"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.ids.add(str(values[key]))
        wanted = _LINK_ATTRS.get(tag)
        if wanted and values.get(wanted) is not None:
            self.links.append(str(values[wanted]))


def _parse(path: Path, cache: dict[Path, _Page]) -> _Page:
    page = cache.get(path)
    if page is None:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return page


def broken_links(root: Path) -> list[str]:
    """Every broken internal link under ``root``, as ``page: link (reason)``."""
    root = root.resolve()
    cache: dict[Path, _Page] = {}
    problems: list[str] = []
    for page_path in sorted(root.rglob("*.html")):
        page = _parse(page_path, cache)
        for link in page.links:
            problem = _check(root, page_path, link, cache)
            if problem:
                problems.append(f"{page_path.relative_to(root)}: {link} ({problem})")
    return problems


def _check(root: Path, page: Path, link: str, cache: dict[Path, _Page]) -> str | None:
    parts = urlsplit(link)
    if parts.scheme or link.startswith("//"):
        return None  # external (http, https, mailto, data, javascript): not ours to check
    if parts.path:
        target = (page.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
    else:
        target = page
    if not target.is_relative_to(root):
        return "points outside the site"
    if not target.exists():
        return "no such file"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in _parse(target, cache).ids:
        return f"no id {fragment!r} in {target.relative_to(root)}"
    return None


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0] if args else "docs/_build/html")
    if not (root / "index.html").exists():
        print(f"check_links: {root} holds no built site", file=sys.stderr)
        return 2
    problems = broken_links(root)
    pages = sum(1 for _ in root.rglob("*.html"))
    for problem in problems:
        print(f"broken link: {problem}", file=sys.stderr)
    print(f"check_links: {pages} pages, {len(problems)} broken internal links")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
