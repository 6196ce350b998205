"""The decode planner: the same wire read as a plan's steps, with fewer calls.

Adjacent fixed-width reads become one ``unpack_from``, a string's or an array's length
prefix joins the fixed reads before it, and struct arrays are decoded inline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codegen.model import DecOp, Head, Step

if TYPE_CHECKING:
    from codegen.plans import Builder

_PREFIX = {"string": ("h", 2), "bytes": ("i", 4), "records": ("i", 4)}


def decode_ops(steps: list[Step], builder: Builder) -> tuple[DecOp, ...]:
    """The decode of ``steps`` with as few Python-level calls as the layout allows.

    Every classic length or count prefix joins the fixed-width fields before it in one
    ``unpack_from``; a fixed-width array's elements are unpacked together with the
    fixed-width fields and the next prefix after it (the array is then a ``Head``).
    Strings, bytes and compact lengths are read inline, without helper calls.
    """
    ops: list[DecOp] = []
    run: list[Step] = []
    head: tuple[Step, str] | None = None

    def flush(prefix: tuple[str, int] | None = None, var: str = "") -> None:
        nonlocal run, head
        if head is None and not run and prefix is None:
            return
        codes = "".join(s.code for s in run) + (prefix[0] if prefix else "")
        targets = tuple("." + a for s in run for a in s.attrs) + ((var,) if var else ())
        size = sum(s.size for s in run) + (prefix[1] if prefix else 0)
        if head is None:
            ops.append(
                DecOp("unpack", targets=targets, struct_var=builder.struct_const(codes), size=size)
            )
        else:
            array, count = head
            rest_var = builder.struct_const(codes) if codes and array.nullable else ""
            first = Head(
                array.attrs[0],
                count,
                builder.array_cache(f"%d{array.code}{codes}"),
                array.size,
                array.nullable,
                array.label,
                rest_var,
            )
            ops.append(DecOp("unpack", targets=targets, size=size, head=first))
        run, head = [], None

    for step in steps:
        attr = step.attrs[0] if step.attrs else ""
        if step.kind == "fixed":
            run.append(step)
        elif step.kind == "array":
            count = f"n_{attr}"
            if step.compact:
                flush()
                if step.elem == "fixed":
                    ops.append(DecOp("count", attr, length=count, nullable=step.nullable))
            else:
                flush(("i", 4), count)
            if step.elem == "fixed":
                head = (step, count)
            else:
                length = "" if step.compact else count
                ops.append(DecOp("array", attr, length=length, nullable=step.nullable, step=step))
        elif step.scalar in _PREFIX:
            kind = "string" if step.scalar == "string" else "blob"
            length = ""
            if not step.compact:
                length = f"ln_{attr}"
                flush(_PREFIX[step.scalar], length)
            else:
                flush()
            ops.append(
                DecOp(
                    kind,
                    attr,
                    length=length,
                    nullable=step.nullable,
                    label=step.label,
                    records=step.scalar == "records",
                )
            )
        else:
            flush()
            ops.append(DecOp("step", attr, step=step))
    flush()
    return tuple(ops)
