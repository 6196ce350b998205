"""Sphinx extension: the reference pages that are computed, never written by hand.

- One page per Kafka API (request + response) and per header/data spec, written at
  ``builder-inited`` into ``reference/messages/`` (git-ignored) as a few lines of reST that
  call ``kafka-message``; that directive renders a generated module from its classes
  (the spec's "about" strings are in their docstrings and in ``__slots__``, the versions
  in ``FIELDS``), so the pages follow ``make regen`` and cannot go stale.
- ``kafka-api-table``: the API table (key, name, versions, flexible from, page).
- ``kafka-error-table``: every protocol error code with its exception class and Kafka's
  retriable / invalid-metadata flags (``aiokafka_gen.messages.codes`` and ``.errors``).
- A ``missing-reference`` handler that resolves any importable alias of a documented
  aiokafka_gen object (``aiokafka_gen.AIOKafkaConsumer`` is documented as
  ``aiokafka_gen.consumer.AIOKafkaConsumer``) and links to repository files outside docs/
  (``../README.md`` in a page) that the site does not contain, rendered as plain text.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import find_pending_xref_condition, make_refnode

MESSAGES_DIR = "reference/messages"  # relative to the source dir; git-ignored
STAMP = ".. This page is written by docs/_ext/aiokafka_docs.py at build time. Do not edit.\n"
MAX_VERSION = 32767  # the spec's open-ended "N+"


# --- what the generated package holds ------------------------------------------------------


def _messages() -> Any:
    return importlib.import_module("aiokafka_gen.messages")


def _module(name: str) -> Any:
    return importlib.import_module(f"aiokafka_gen.messages.{name}")


def _page_of_api(info: Any) -> str:
    return info.request_module.removesuffix("_request")


def _other_modules() -> list[str]:
    """Header and data specs: modules with a top-level message that belongs to no API."""
    msgs = _messages()
    in_apis = {m for i in msgs.APIS.values() for m in (i.request_module, i.response_module)}
    return sorted({m for m in msgs.CLASS_MODULES.values() if m not in in_apis})


def _stub_pages() -> dict[str, str]:
    """docname (under MESSAGES_DIR) -> page source."""
    msgs = _messages()
    pages: dict[str, str] = {}
    for key, info in sorted(msgs.APIS.items()):
        title = f"{info.name} (API key {key})"
        pages[_page_of_api(info)] = (
            f"{STAMP}\n{title}\n{'=' * len(title)}\n\n"
            f".. kafka-api-summary:: {key}\n\n"
            f"Request\n-------\n\n.. kafka-message:: {info.request_module}\n\n"
            f"Response\n--------\n\n.. kafka-message:: {info.response_module}\n"
        )
    for module in _other_modules():
        top = _top_class(_module(module))
        title = f"{top.NAME} ({top.KIND})"
        pages[module] = f"{STAMP}\n{title}\n{'=' * len(title)}\n\n.. kafka-message:: {module}\n"
    return pages


def write_message_pages(app: Sphinx) -> None:
    """Write the per-API pages; files whose text is unchanged are left alone, so an
    incremental build re-reads only what changed. Stale pages are removed."""
    out = Path(app.srcdir) / MESSAGES_DIR
    out.mkdir(parents=True, exist_ok=True)
    pages = _stub_pages()
    for name, text in pages.items():
        path = out / f"{name}.rst"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for path in out.glob("*.rst"):
        if path.stem not in pages and path.read_text(encoding="utf-8").startswith(STAMP):
            path.unlink()


def _top_class(module: Any) -> Any:
    for name in module.__all__:
        cls = getattr(module, name)
        if getattr(cls, "NAME", None) == name:
            return cls
    raise LookupError(f"{module.__name__}: no message class")


def _span(lo: int, hi: int, within: tuple[int, int]) -> str:
    """A version span clipped to the message's versions: ``all``, ``5+``, ``5-8``, ``5``."""
    lo, hi = max(lo, within[0]), min(hi, within[1])
    if lo > hi:
        return "none"
    if (lo, hi) == within:
        return "all"
    if hi == within[1]:
        return f"{lo}+"
    return str(lo) if lo == hi else f"{lo}\u2013{hi}"


def _versions(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}\u2013{hi}"


def _field_about(cls: Any, name: str) -> str:
    slots = cls.__dict__.get("__slots__")
    text = slots.get(name, "") if isinstance(slots, dict) else ""
    # generated as "<versions>: <about>"; the versions are shown in their own columns
    return text.partition(": ")[2] or text


def _class_about(cls: Any) -> str:
    return inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0].replace("\n", " ")


# --- node helpers ----------------------------------------------------------------------------


def _xref(target: str, text: str, reftype: str = "class") -> addnodes.pending_xref:
    ref = addnodes.pending_xref(
        "", refdomain="py", reftype=reftype, reftarget=target, refexplicit=True
    )
    ref += nodes.literal(text, text, classes=["xref", "py", f"py-{reftype}"])
    return ref


def _doc_ref(docname: str, text: str) -> addnodes.pending_xref:
    ref = addnodes.pending_xref(
        "", refdomain="std", reftype="doc", reftarget=f"/{docname}", refexplicit=True
    )
    ref += nodes.inline(text, text)
    return ref


Cell = str | nodes.Node | Sequence[nodes.Node]


def _table(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], widths: Sequence[int], classes: list[str]
) -> nodes.table:
    table = nodes.table(classes=["kafka-table", "colwidths-given", *classes])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row(header)
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells)
    return table


def _row(cells: Sequence[Cell]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        para = nodes.paragraph()
        if isinstance(cell, str):
            para += nodes.Text(cell)
        elif isinstance(cell, nodes.Node):
            para += cell
        else:
            para.extend(cell)
        entry += para
        row += entry
    return row


# --- directives --------------------------------------------------------------------------------


class KafkaMessage(SphinxDirective):
    """``.. kafka-message:: produce_request``: a generated module, every class in it, each
    with a field table; the top-level message also gets its fields per version."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        modname = self.arguments[0]
        module = _module(modname)
        self.env.note_dependency(module.__file__)
        top = _top_class(module)
        within = (top.MIN_VERSION, top.MAX_VERSION)
        full = module.__name__
        result: list[nodes.Node] = []
        intro = nodes.paragraph()
        intro += nodes.Text("Module ")
        intro += nodes.literal(full, full)
        intro += nodes.Text("; import the message as ")
        intro += nodes.literal(
            f"from aiokafka_gen.messages import {top.NAME}",
            f"from aiokafka_gen.messages import {top.NAME}",
        )
        intro += nodes.Text(". Its base class is ")
        intro += _xref("aiokafka_gen.protocol.Message", "Message")
        intro += nodes.Text(" (encode, decode, equality), nested structs are ")
        intro += _xref("aiokafka_gen.protocol.Struct", "Struct")
        intro += nodes.Text(" subclasses.")
        result.append(intro)
        classes = [getattr(module, n) for n in module.__all__]
        ordered = [top, *(c for c in classes if c is not top)]
        for cls in ordered:
            result.extend(self._class(cls, full, within, cls is top))
        return result

    def _parse(self, text: str) -> list[nodes.Node]:
        holder = nodes.section()
        holder.document = self.state.document
        self.state.nested_parse(StringList(text.splitlines()), self.content_offset, holder)
        return list(holder.children)

    def _class(self, cls: Any, module: str, within: tuple[int, int], top: bool) -> list[nodes.Node]:
        parsed = self._parse(f".. py:class:: {cls.__name__}\n   :module: {module}\n")
        desc = next(n for n in parsed if isinstance(n, addnodes.desc))
        content = next(n for n in desc.children if isinstance(n, addnodes.desc_content))
        about = nodes.paragraph()
        about += nodes.Text(_class_about(cls))
        content += about
        if top:
            content += self._per_version(cls)
        if cls.FIELDS:
            content += self._fields(cls, module, within)
        else:
            content += nodes.paragraph(text="No fields.")
        return parsed

    def _fields(self, cls: Any, module: str, within: tuple[int, int]) -> nodes.table:
        rows = []
        for f in cls.FIELDS:
            rows.append(
                [
                    nodes.literal(f.name, f.name),
                    _type_cell(f, module),
                    _span(*f.versions, within) if f.versions else "none",
                    _span(*f.nullable_versions, within) if f.nullable_versions else "",
                    (
                        f"tag {f.tag}, {_span(*f.tagged_versions, within)}"
                        if f.tagged_versions
                        else ""
                    ),
                    _default_cell(f),
                    _field_about(cls, f.name),
                ]
            )
        return _table(
            ["Field", "Type", "Versions", "Nullable", "Tagged", "Default", "Description"],
            rows,
            [14, 14, 7, 7, 9, 9, 40],
            ["kafka-fields"],
        )

    def _per_version(self, cls: Any) -> nodes.Node:
        groups: list[tuple[int, int, tuple[str, ...], bool]] = []
        for version in range(cls.MIN_VERSION, cls.MAX_VERSION + 1):
            present = tuple(
                f.name + (" (tagged)" if f.tagged_in(version) else "")
                for f in cls.FIELDS
                if f.in_version(version)
            )
            flexible = cls.is_flexible(version)
            if groups and groups[-1][2:] == (present, flexible):
                lo, _, _, _ = groups[-1]
                groups[-1] = (lo, version, present, flexible)
            else:
                groups.append((version, version, present, flexible))
        rows = []
        for lo, hi, present, flexible in groups:
            listed: list[nodes.Node] = []
            for i, name in enumerate(present):
                if i:
                    listed.append(nodes.Text(", "))
                attr, _, note = name.partition(" ")
                listed.append(nodes.literal(attr, attr))
                if note:
                    listed.append(nodes.Text(" " + note))
            if not listed:
                listed.append(nodes.Text("(no fields)"))
            rows.append([_versions(lo, hi), "yes" if flexible else "no", listed])
        note = ""
        if cls.UNSTABLE_LATEST:
            note = f" Version {cls.MAX_VERSION} is unstable (the spec marks the latest unstable)."
        container = nodes.container(classes=["kafka-per-version"])
        container += nodes.paragraph(
            text=f"Fields per version (top level; nested structs list theirs below).{note}"
        )
        container += _table(
            ["Versions", "Flexible", "Fields"], rows, [8, 6, 60], ["kafka-versions"]
        )
        return container


def _type_cell(f: Any, module: str) -> list[nodes.Node]:
    if f.struct is None:
        return [nodes.literal(f.type, f.type)]
    name = f.struct.__name__
    out: list[nodes.Node] = []
    if f.type.startswith("[]"):
        out.append(nodes.Text("[]"))
    out.append(_xref(f"{module}.{name}", name))
    return out


def _default_cell(f: Any) -> Cell:
    if f.default_is_null:
        return nodes.literal("None", "None")
    if f.type.startswith("[]"):
        return nodes.literal("[]", "[]")
    if f.struct is not None:
        return "new"
    text = repr(f.default)
    if text.startswith("UUID("):
        text = "zero uuid" if f.default.int == 0 else str(f.default)
        return text
    return nodes.literal(text, text)


class KafkaApiSummary(SphinxDirective):
    """``.. kafka-api-summary:: 0``: one paragraph about an API's versions."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        msgs = _messages()
        info = msgs.APIS[int(self.arguments[0])]
        flex = (
            "never flexible" if info.flexible_min is None else f"flexible from v{info.flexible_min}"
        )
        text = (
            f"API key {info.api_key}: versions {_versions(info.min_version, info.max_version)}, "
            f"{flex}"
        )
        if info.unstable_latest:
            text += f"; v{info.max_version} is unstable"
        headers = sorted(
            {
                (
                    msgs.request_header_version(info.api_key, v),
                    msgs.response_header_version(info.api_key, v),
                )
                for v in range(info.min_version, info.max_version + 1)
            }
        )
        text += ". Header versions (request, response): " + ", ".join(
            f"v{a}/v{b}" for a, b in headers
        )
        para = nodes.paragraph(text=text + ".")
        back = nodes.paragraph()
        back += nodes.Text("All APIs: ")
        back += _doc_ref("reference/protocol-messages", "protocol messages")
        back += nodes.Text(".")
        return [para, back]


class KafkaApiTable(SphinxDirective):
    """``.. kafka-api-table::``: every API (or, with ``:other:``, every header/data spec)."""

    option_spec: ClassVar[dict[str, Any]] = {"other": directives.flag}

    def run(self) -> list[nodes.Node]:
        msgs = _messages()
        self.env.note_dependency(msgs._index.__file__)
        if "other" in self.options:
            rows = []
            for module in _other_modules():
                top = _top_class(_module(module))
                rows.append(
                    [
                        _doc_ref(f"{MESSAGES_DIR}/{module}", top.NAME),
                        top.KIND,
                        _versions(top.MIN_VERSION, top.MAX_VERSION),
                        _flex(top.FLEXIBLE_MIN),
                    ]
                )
            return [
                _table(["Spec", "Kind", "Versions", "Flexible from"], rows, [30, 10, 10, 10], [])
            ]
        rows = []
        for key, info in sorted(msgs.APIS.items()):
            rows.append(
                [
                    str(key),
                    _doc_ref(f"{MESSAGES_DIR}/{_page_of_api(info)}", info.name),
                    _versions(info.min_version, info.max_version)
                    + (" (latest unstable)" if info.unstable_latest else ""),
                    _flex(info.flexible_min),
                ]
            )
        return [_table(["Key", "API", "Versions", "Flexible from"], rows, [6, 40, 14, 10], [])]


def _flex(version: int | None) -> str:
    return "never" if version is None else f"v{version}"


class KafkaErrorTable(SphinxDirective):
    """``.. kafka-error-table::``: code, name, exception class, retriable, invalid metadata,
    Kafka's description. Each exception class becomes a ``py:exception`` target under
    ``aiokafka_gen.errors`` (where users import it from), unless that module defines it."""

    def run(self) -> list[nodes.Node]:
        codes = importlib.import_module("aiokafka_gen.messages.codes")
        generated = importlib.import_module("aiokafka_gen.messages.errors")
        errors = importlib.import_module("aiokafka_gen.errors")
        self.env.note_dependency(codes.__file__)
        self.env.note_dependency(generated.__file__)
        domain = self.env.get_domain("py")
        own = set(errors.__all__)
        rows = []
        targets: list[nodes.Node] = []
        for code in sorted(generated.ERRORS_BY_CODE):
            cls = generated.ERRORS_BY_CODE[code]
            member = codes.ErrorCode(code)
            name = f"aiokafka_gen.errors.{cls.__name__}"
            cell: list[nodes.Node] = []
            if cls.__name__ in own:
                cell.append(_xref(name, cls.__name__, "exc"))
            else:
                node_id = f"error-{code}"
                cell.append(nodes.target("", "", ids=[node_id]))
                cell.append(nodes.literal(cls.__name__, cls.__name__))
                domain.note_object(name, "exception", node_id, location=self.get_location())
                canonical = f"{cls.__module__}.{cls.__qualname__}"
                domain.note_object(canonical, "exception", node_id, aliased=True)
            rows.append(
                [
                    str(code),
                    nodes.literal(member.name, member.name),
                    cell,
                    "yes" if member in codes.RETRIABLE else "no",
                    "yes" if member in codes.INVALID_METADATA else "no",
                    cls.description,
                ]
            )
        table = _table(
            ["Code", "ErrorCode", "Exception", "Retriable", "Invalid metadata", "Description"],
            rows,
            [6, 22, 22, 8, 9, 33],
            ["kafka-errors"],
        )
        return [*targets, table]


class KafkaMetricsTable(SphinxDirective):
    """``.. kafka-metrics-table:: producer`` (or ``consumer`` / ``connection``): every metric
    of that section of ``aiokafka_gen.metrics.catalogue``, the registry the clients record
    into (``aiokafka_gen.metrics.reference.rows()``), so the page cannot drift."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        reference = importlib.import_module("aiokafka_gen.metrics.reference")
        catalogue = importlib.import_module("aiokafka_gen.metrics.catalogue")
        self.env.note_dependency(catalogue.__file__)
        section = self.arguments[0]
        rows = []
        for row in reference.rows():
            if row.section != section:
                continue
            java = nodes.literal(row.java, row.java) if row.java else "none (ours)"
            rows.append(
                [
                    nodes.literal(row.name, row.name),
                    nodes.literal(row.group, row.group),
                    ", ".join(row.tags),
                    row.stat,
                    row.unit,
                    row.description,
                    java,
                ]
            )
        if not rows:
            raise self.error(f"no metrics in section {section!r}")
        header = ["Metric", "Group", "Tags", "Statistic", "Unit", "Meaning", "Java"]
        return [_table(header, rows, [18, 20, 12, 8, 8, 24, 10], ["kafka-metrics"])]


class KafkaPublicNames(SphinxDirective):
    """``.. kafka-public-names::``: ``aiokafka_gen.__all__`` with a link to where each
    name is documented (resolved through ``resolve_alias``)."""

    def run(self) -> list[nodes.Node]:
        package = importlib.import_module("aiokafka_gen")
        rows = []
        for name in package.__all__:
            if name.startswith("__") or name == "compiled":
                continue
            obj = getattr(package, name)
            kind = (
                "exc"
                if isinstance(obj, type) and issubclass(obj, BaseException)
                else ("class" if isinstance(obj, type) else "func")
            )
            summary = inspect.cleandoc(obj.__doc__ or "").split("\n\n")[0].replace("\n", " ")
            parsed, _problems = self.state.inline_text(summary, self.lineno)  # ``literals``
            rows.append(
                [
                    _xref(f"aiokafka_gen.{name}", name, kind),
                    nodes.literal(obj.__module__, obj.__module__),
                    parsed,
                ]
            )
        return [_table(["Name", "Defined in", "Summary"], rows, [20, 25, 55], [])]


class KafkaBenchCharts(SphinxDirective):
    """``.. kafka-bench-charts::``: every chart ``make bench`` left in bench/results/."""

    optional_arguments = 1

    def run(self) -> list[nodes.Node]:
        pattern = self.arguments[0] if self.arguments else "../bench/results/*.png"
        docdir = Path(self.env.doc2path(self.env.docname)).parent
        out: list[nodes.Node] = []
        for path in sorted(docdir.glob(pattern)):
            self.env.note_dependency(str(path))
            rel = path.relative_to(docdir) if path.is_relative_to(docdir) else None
            uri = str(rel) if rel is not None else _relative(path, docdir)
            figure = nodes.figure(classes=["kafka-chart"])
            figure += nodes.image(uri=uri, alt=path.stem)
            figure += nodes.caption(path.stem, path.stem)
            out.append(figure)
        if not out:
            out.append(nodes.paragraph(text="No charts yet: `make bench` writes them."))
        return out


def _relative(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(path, start)


# --- references -------------------------------------------------------------------------------


def resolve_alias(
    app: Sphinx, env: BuildEnvironment, node: addnodes.pending_xref, contnode: nodes.Element
) -> nodes.Element | None:
    """``aiokafka_gen.AIOKafkaConsumer`` -> where the object is documented: import the
    name, then look it up by its defining module and qualified name (autodoc registers
    that as the canonical name)."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if not target.startswith("aiokafka_gen"):
        return None
    obj = _import(target)
    if obj is None:
        return None
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not module or not qualname:
        return None
    canonical = f"{module}.{qualname}"
    if canonical == target:
        return None
    domain = env.get_domain("py")
    found = domain.objects.get(canonical)
    if found is None:
        return None
    return make_refnode(
        app.builder, node["refdoc"], found.docname, found.node_id, contnode, canonical
    )


def _import(path: str) -> Any:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


class QuietBuiltins(SphinxPostTransform):
    """Runs before Sphinx resolves references. A bare name in a type hint (``type``,
    ``TopicPartition`` from a string annotation) is matched by suffix against every
    documented object, and the generated message structs reuse many names; so a bare
    name that is a builtin stays text, and one that matches several objects is pointed
    at the one outside ``aiokafka_gen.messages`` when there is exactly one. A reference to
    a ``TypeVar`` of the package stays text too (there is nothing to document)."""

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        domain = self.env.get_domain("py")
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("refdomain") != "py":
                continue
            target = node.get("reftarget", "")
            if "." not in target:
                if hasattr(builtins, target):
                    node.replace_self(_as_text(node))
                    continue
                found = [
                    name
                    for name, entry in domain.objects.items()
                    if name.endswith("." + target)
                    and entry.objtype in ("class", "exception", "function", "data")
                    and not name.startswith("aiokafka_gen.messages.")
                    and not entry.aliased
                ]
                if len(found) == 1:
                    node["reftarget"] = found[0]
                    node["refspecific"] = False
            elif (
                target.startswith("aiokafka_gen.")
                and target not in domain.objects
                and isinstance(_import(target), TypeVar)
            ):
                node.replace_self(_as_text(node))


def _as_text(node: addnodes.pending_xref) -> list[nodes.Node]:
    """What an unresolved reference shows (the "*" variant where there are several)."""
    fallback = find_pending_xref_condition(node, "*")
    if fallback is not None:
        return list(fallback.children)
    target = node.get("reftarget", "")
    return list(node.children) or [nodes.literal(target, target)]


def public_bases(app: Sphinx, name: str, obj: Any, options: Any, bases: list[type]) -> None:
    """Keep private classes (the admin client's per-area mixins) out of "Bases:"."""
    public = [b for b in bases if not _private(b)]
    bases[:] = public or [object]


def _private(cls: type) -> bool:
    parts = f"{cls.__module__}.{cls.__qualname__}".split(".")
    return any(p.startswith("_") and not p.startswith("__") for p in parts)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(QuietBuiltins)
    app.connect("autodoc-process-bases", public_bases)
    app.connect("builder-inited", write_message_pages)
    app.connect("missing-reference", resolve_alias)
    app.add_directive("kafka-message", KafkaMessage)
    app.add_directive("kafka-api-summary", KafkaApiSummary)
    app.add_directive("kafka-api-table", KafkaApiTable)
    app.add_directive("kafka-error-table", KafkaErrorTable)
    app.add_directive("kafka-metrics-table", KafkaMetricsTable)
    app.add_directive("kafka-public-names", KafkaPublicNames)
    app.add_directive("kafka-bench-charts", KafkaBenchCharts)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
