"""The intermediate model's types: every Python name, type, default and per-version decision.

``codegen.build.build_module(spec)`` fills them from one validated MessageSpec (with
``codegen.plans`` for the struct table and per-version plans, ``codegen.decode_plan`` for
the decode reads and ``codegen.fields`` for field typing); the jinja2 templates only print
them. Per (struct, version) a Plan holds the wire steps in order (adjacent fixed-width
fields merged into one precompiled struct), the decode ops (the same wire read with fewer
calls), the tagged fields, and the fields the version lacks. Identical plans share one
generated function. Nothing here renders text or touches the file system.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codegen import names
from codegen.spec import NONE, FieldSpec, MessageSpec, VersionRange

FIXED = {
    "bool": ("?", 1),
    "int8": ("b", 1),
    "int16": ("h", 2),
    "int32": ("i", 4),
    "int64": ("q", 8),
    "uint16": ("H", 2),
    "uint32": ("I", 4),
    "float64": ("d", 8),
}
_ALWAYS_IMPORTED = frozenset(
    {
        "EMPTY",
        "ZERO_UUID",
        "count_error",
        "length_error",
        "new_object",
        "null_error",
        "null_value",
        "read_tags",
        "read_unknown_tags",
        "read_uvarint",
        "tags_unsupported",
        "write_tags",
    }
)


@dataclass(frozen=True)
class Step:
    """One wire item of a plan. ``kind``: fixed, value, bytes, struct, nstruct, array."""

    kind: str
    attrs: tuple[str, ...]
    label: str = ""
    struct_var: str = ""
    size: int = 0
    reader: str = ""
    writer: str = ""
    nullable: bool = False
    elem: str = ""
    elem_type: str = ""
    code: str = ""
    # arrays: what a null array writes, the count's writer ("{a}" is the array's local),
    # and whether the count is packed with the elements in one struct call
    null_count: str = ""
    count_writer: str = ""
    packs_count: bool = False
    maybe_none: bool = False
    compact: bool = False
    child_plan: Plan | None = None
    # the Kafka type of a value/bytes step: string, uuid, bytes or records
    scalar: str = ""


@dataclass(frozen=True)
class Head:
    """A fixed-width array whose count is already read, unpacked with what follows it."""

    attr: str
    count: str
    cache_var: str
    size: int
    nullable: bool
    label: str
    rest_var: str


@dataclass(frozen=True)
class DecOp:
    """One decode operation; ``kind``: unpack, string, blob, count, array, step.

    - unpack: one ``struct.unpack_from`` into ``targets`` (``.attr`` for a field of the
      object, else a local length/count name), optionally led by a fixed-width array
      (``head``) of a count read earlier. ``size`` excludes the head's elements.
    - string / blob: a string, bytes or records value whose length is ``length`` (read by
      an earlier unpack) or, when ``length`` is empty, a compact length read inline.
    - count: a compact array count read inline into ``length``.
    - array: a struct or value array; count in ``length`` or read inline (compact).
    - step: anything else, decoded through ``step`` as it is (uuid, struct, nstruct).
    """

    kind: str
    attr: str = ""
    targets: tuple[str, ...] = ()
    struct_var: str = ""
    size: int = 0
    head: Head | None = None
    length: str = ""
    nullable: bool = False
    label: str = ""
    records: bool = False
    step: Step | None = None

    @property
    def key(self) -> str:
        """The field this op reads: it names the op's locals, so that adding a field to a
        struct leaves the locals of every other field alone (field-local diffs)."""
        return self.attr or (self.head.attr if self.head is not None else "")


@dataclass(frozen=True)
class TaggedStep:
    tag: int
    attr: str
    cond: str
    default: str
    steps: tuple[Step, ...]
    dec: tuple[DecOp, ...]


@dataclass(frozen=True)
class Plan:
    flexible: bool
    steps: tuple[Step, ...]
    dec: tuple[DecOp, ...]
    tagged: tuple[TaggedStep, ...]
    absent_checks: tuple[tuple[str, str], ...]
    absent_defaults: tuple[tuple[str, str], ...]


@dataclass
class FieldModel:
    spec: FieldSpec
    attr: str
    json_name: str
    struct: StructModel | None
    py_type: str
    elem_py_type: str
    param_type: str
    param_default: str
    init_expr: str
    fresh_default: str
    nondefault_cond: str
    schema_default: str
    default_is_null: bool

    @property
    def versions(self) -> VersionRange:
        return self.spec.effective_versions

    @property
    def nullable(self) -> VersionRange:
        return self.spec.nullable_versions or NONE

    @property
    def versions_text(self) -> str:
        text = f"v{self.versions}"
        if self.spec.tagged_versions is not None:
            text += f", tag {self.spec.tag}"
        if not self.nullable.intersect(self.versions).empty:
            text += f", nullable v{self.nullable}"
        return text

    @property
    def doc(self) -> str:
        return names.docstring(self.spec.about)

    @property
    def slot_doc(self) -> str:
        """The attribute's own docstring (``help()`` lists it), as a Python literal."""
        return repr(f"{self.versions_text}: {' '.join(self.spec.about.split()) or _NO_ABOUT}")

    @property
    def schema_args(self) -> str:
        """``FieldSchema`` keyword arguments: each line of the emitted schema names itself."""
        spec = self.spec
        args = [
            ("name", repr(self.attr)),
            ("json_name", repr(self.json_name)),
            ("type", repr(spec.type)),
            ("versions", _span(self.versions)),
            ("nullable_versions", _span(spec.nullable_versions)),
            ("tagged_versions", _span(spec.tagged_versions)),
            ("tag", repr(spec.tag)),
            ("default", self.schema_default),
            ("default_is_null", repr(self.default_is_null)),
            ("ignorable", repr(spec.ignorable)),
            ("struct", self.struct.name if self.struct else "None"),
        ]
        if spec.flexible_versions is not None:
            args.append(("flexible_versions", _span(spec.flexible_versions)))
        return ", ".join(f"{k}={v}" for k, v in args)


def _span(versions: VersionRange | None) -> str:
    if versions is None or versions.empty:
        return "None"
    return f"({versions.lo}, {versions.hi})"


@dataclass
class PlanFunc:
    suffix: str
    versions: list[int]
    plan: Plan
    # False for a struct decoder no one calls (struct arrays are decoded inline): not emitted
    decoder_called: bool = True

    @property
    def versions_text(self) -> str:
        return ", ".join(str(v) for v in self.versions)


@dataclass
class StructModel:
    name: str
    about: str
    specs: tuple[FieldSpec, ...]
    fields: list[FieldModel] = field(default_factory=list)
    versions: set[int] = field(default_factory=set)
    funcs: list[PlanFunc] = field(default_factory=list)
    by_version: dict[int, str] = field(default_factory=dict)
    plans: dict[int, Plan] = field(default_factory=dict)
    # a struct field (not an array) defaults to a new instance: decoders need _fresh_<name>
    fresh: bool = False
    # the message's first flexible version, set on nested structs (the message's own
    # docstring is the spec summary, which says its versions already)
    flexible_min: int | None = None
    nested: bool = False

    @property
    def doc(self) -> str:
        """The spec's about text, plus the versions a nested struct is in."""
        text = names.docstring(self.about)
        if not self.nested or not self.versions:
            return text
        flexible = [
            v for v in self.versions if self.flexible_min is not None and v >= self.flexible_min
        ]
        where = f"In versions {version_list(self.versions)}"
        if flexible:
            where += f", flexible in {version_list(set(flexible))}"
        return f"{text.rstrip('.')}. {where}."


def version_list(versions: set[int]) -> str:
    """``{0, 1, 2, 5}`` -> ``"0-2, 5"``."""
    runs: list[list[int]] = []
    for v in sorted(versions):
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


@dataclass(frozen=True)
class ResponseLink:
    """A request module's link to its response: where the class lives and what sending the
    request returns (the class, or the class or None where the broker may not answer)."""

    module: str
    name: str
    answer_optional: bool

    @property
    def type_arg(self) -> str:
        return f"{self.name} | None" if self.answer_optional else self.name


# Requests the broker may leave unanswered: Produce with acks=0 (the framing knows when).
UNANSWERED_API_KEYS = frozenset({0})


@dataclass
class ModuleModel:
    spec: MessageSpec
    module: str
    kafka_version: str
    source_file: str
    message: StructModel
    structs: list[StructModel]
    struct_consts: dict[str, str]
    array_consts: dict[str, str]
    helpers: set[str]
    needs_uuid: bool
    unstable: bool
    entities: list[str] = field(default_factory=list)
    response: ResponseLink | None = None

    @property
    def doc(self) -> str:
        return summary(self.spec)

    @property
    def imports(self) -> list[str]:
        return sorted(self.helpers | _ALWAYS_IMPORTED)

    @property
    def message_base(self) -> str:
        """The top-level class's base: a request names what sending it returns."""
        return f"_Request[{self.response.type_arg}]" if self.response else "_Message"

    @property
    def flexible_min(self) -> int | None:
        flex = self.spec.flexible_versions.intersect(self.spec.valid_versions)
        return None if flex.empty else flex.lo


_NO_ABOUT = "No description in the spec."


def summary(spec: MessageSpec) -> str:
    """One line about a spec file: the module's and the message class's docstring."""
    key = "" if spec.api_key is None else f" (api key {spec.api_key})"
    flex = spec.flexible_versions.intersect(spec.valid_versions)
    flexible = "never flexible" if flex.empty else f"flexible from v{flex.lo}"
    return f"{spec.name}{key}: Kafka {spec.type}, versions {spec.valid_versions}, {flexible}."
