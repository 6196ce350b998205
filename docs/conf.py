"""Sphinx configuration of the aiokafka_gen documentation site (`make docs`).

Markdown pages go through MyST; the API reference is autodoc over the installed package;
the protocol message pages and the error table are rendered at build time from the
generated classes by ``_ext/aiokafka_docs.py`` (nothing generated is committed). The build
runs offline: no intersphinx, so references into the standard library are listed in
``nitpick_ignore_regex`` instead of being resolved.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import aiokafka_gen  # noqa: E402  (after the path set-up, as Sphinx configs do)

project = "aiokafka_gen"
author = "the aiokafka_gen authors"
copyright = "the aiokafka_gen authors, Apache-2.0"
release = aiokafka_gen.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "aiokafka_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
templates_path: list[str] = []

# --- MyST ----------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
# `[text](page.md#a-heading)` links: headings get GitHub-style anchors down to level 4
myst_heading_anchors = 4

# --- autodoc -------------------------------------------------------------------------------
autodoc_default_options = {
    "members": True,
    "undoc-members": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"
autodoc_typehints_description_target = "all"
autodoc_typehints_format = "short"
autodoc_class_signature = "mixed"
autodoc_inherit_docstrings = True
add_module_names = False
python_use_unqualified_type_names = True
python_display_short_literal_types = True

# --- strictness ----------------------------------------------------------------------------
# `make docs` runs with -W --keep-going -n: every unresolved reference is an error. The
# standard library and third-party types cannot be resolved without intersphinx (no network
# at build time), so they are listed here; everything of aiokafka_gen must resolve.
nitpicky = True
_STDLIB = (
    "_asyncio",
    "abc",
    "asyncio",
    "collections",
    "collections.abc",
    "concurrent",
    "contextlib",
    "datetime",
    "enum",
    "logging",
    "os",
    "pathlib",
    "re",
    "socket",
    "ssl",
    "subprocess",
    "threading",
    "traceback",
    "types",
    "typing",
    "typing_extensions",
    "uuid",
    "weakref",
    "argparse",
    "io",
    "struct",
    "_io",
    "_pytest",
    "pytest",
    "json",
    "decimal",
    "ipaddress",
    "random",
)
nitpick_ignore = [
    # type aliases (Callable[...]) that annotations name; their meaning is in the prose
    ("py:class", "Partitioner"),
    ("py:class", "CommitCallback"),
    # the record-batch builder behind the producer's BatchBuilder facade (sans-IO internals)
    ("py:class", "aiokafka_gen.records.builder.BatchBuilder"),
    # metrics classes named bare in annotations under TYPE_CHECKING (documented on the
    # metrics reference page as aiokafka_gen.metrics.*)
    ("py:class", "Sensor"),
    ("py:class", "SensorSpec"),
    ("py:class", "GaugeSpec"),
    ("py:class", "MetricConfig"),
    ("py:class", "MetricSpec"),
    # OpenTelemetry's provider classes (an optional dependency), named under TYPE_CHECKING
    ("py:class", "TracerProvider"),
    ("py:class", "MeterProvider"),
    # the producer's "acks not given" sentinel type (``MISSING``)
    ("py:class", "Missing"),
    # internal types that public signatures name: the cluster view an assignor reads, the
    # committed offset the group coordinator hands back to commit()
    ("py:class", "aiokafka_gen.coordinator.assignors.abstract.ClusterView"),
    ("py:class", "aiokafka_gen.coordinator.contract.CommittedOffset"),
    # the generic request base (aiokafka_gen.protocol.Request, documented on the protocol page)
    ("py:class", "aiokafka_gen.protocol._message.Request"),
    # the connection settings a client checked, which AIOKafkaClient.from_config takes
    ("py:class", "aiokafka_gen.client_config.ClientConfig"),
]
nitpick_ignore_regex = [
    (r"py:.*", r"({})\..*".format("|".join(m.replace(".", r"\.") for m in _STDLIB))),
    # names the typing module exports, written bare in annotations
    (
        r"py:.*",
        r"(Any|Callable|Awaitable|Coroutine|Iterable|Iterator|AsyncIterator|AsyncIterable|"
        r"Mapping|MutableMapping|Sequence|Generator|AsyncGenerator|Self|TypeVar|Literal|"
        r"ClassVar|Optional|Union|NamedTuple|Protocol|Pattern|Hashable|Sized|Container|"
        r"Collection|Set|MutableSet|ModuleType|TracebackType|ParamSpec|Never|NoReturn|"
        r"Buffer|PathLike|StrPath|Path|Enum|IntEnum|IntFlag|Flag|StackSummary|"
        r"AbstractEventLoop|Future|Task|Event|Lock|Queue|SSLContext|Logger|UUID|"
        r"datetime|timedelta|Decimal|Match|BaseException|ExceptionGroup|T|K|V)",
    ),
]

# --- HTML ----------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"aiokafka_gen {release}"
html_static_path = ["_static"]
html_css_files = ["aiokafka-docs.css"]
html_favicon = "_static/favicon.svg"
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_theme_options = {
    "navigation_with_keys": True,
    "top_of_page_buttons": [],
}
