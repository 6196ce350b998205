/*
 * aiokafka_gen.consumer._cdecode: the C twin of _decode_chunk in _records.py.
 *
 * decode(data, pos, count, topic, partition, base_offset, base_timestamp, ts_type,
 *        max_timestamp[, extra]) -> (list of ConsumerRecord, next position) | None
 *
 * Decodes `count` records of a v2 records section (bytes) from `pos`, exactly as the pure
 * _decode_chunk does, into ConsumerRecord instances made with the class's tp_alloc (what
 * object.__new__ calls) and their 11 slots stored at the member offsets read once by
 * setup(cls, no_headers). With a 10th argument (not None) the records are instances of the subclass
 * given to setup_extra(sub) (ConsumerRecord plus one slot, the share consumer's
 * delivery_count), and that slot holds `extra`. It accepts a subset of what the pure decoder accepts: on
 * anything it does not handle (a truncated varint or one longer than the pure decoder
 * reads, a value past 64 bits, a negative key or value size other than -1 in its one-byte
 * form, a record not ending exactly at its length or ending past the data, a header count
 * larger than the record, a header key that is not UTF-8, an offset or timestamp past 64
 * bits, a position out of range, a count the data cannot hold, data that is not bytes...)
 * it returns None and keeps nothing it built, and the caller runs the pure decoder on the
 * same chunk from the same position: that one then returns the same records or raises
 * _Unusual. So every result it returns is the pure decoder's result; only the work
 * differs.
 *
 * Exceptions only for what the pure decoder would raise too (MemoryError) and for misuse
 * (wrong argument types, decode before setup).
 *
 * Every read is bounded: the record's end is checked against the data's end before any
 * field is read, and every field against the record's end. Nothing is left allocated on
 * any path: a partial list (its unset items are NULL) and partial header tuples are
 * released by their deallocators.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#if PY_VERSION_HEX < 0x030C0000
#include <structmember.h> /* PyMemberDef, T_OBJECT_EX, READONLY before 3.12 */
#define Py_T_OBJECT_EX T_OBJECT_EX
#define Py_READONLY READONLY
#endif

#define NFIELDS 11
/* ConsumerRecord's fields in declaration order (structs.py); setup() checks that these
 * are exactly the class's slots. */
static const char *const FIELD_NAMES[NFIELDS] = {
    "topic", "partition", "offset", "timestamp", "timestamp_type", "key", "value",
    "checksum", "serialized_key_size", "serialized_value_size", "headers",
};
enum {
    F_TOPIC, F_PARTITION, F_OFFSET, F_TIMESTAMP, F_TS_TYPE, F_KEY, F_VALUE, F_CHECKSUM,
    F_KSIZE, F_VSIZE, F_HEADERS,
};

/* The smallest record: length, attributes, timestamp delta, offset delta, key length,
 * value length and header count, one byte each. */
#define MIN_RECORD 7
/* The pure decoder reads the timestamp delta with decode_varint's default (10 bytes) and
 * every other varint with at most 5 bytes (_LEN). */
#define MAX_LEN_BYTES 5
#define MAX_TS_BYTES 10

typedef struct {
    PyTypeObject *cls;    /* ConsumerRecord */
    PyObject *no_headers; /* the shared empty headers tuple */
    Py_ssize_t offsets[NFIELDS];
    PyTypeObject *sub;       /* setup_extra's subclass of cls (one more slot), or NULL */
    Py_ssize_t extra_offset; /* that slot */
} State;

static inline State *
get_state(PyObject *module)
{
    return (State *)PyModule_GetState(module);
}

/* ---- varints ----------------------------------------------------------------------- */

/* A zigzag varint of at most `max_bytes` bytes from *pp, none at or past `end`: 0 and the
 * value (*pp moved past it), or -1 when truncated, longer than `max_bytes` or wider than
 * 64 bits (the pure decoder's ints are unbounded: such a value is for it to handle). */
static inline int
read_varint(const unsigned char **pp, const unsigned char *end, int max_bytes, int64_t *out)
{
    const unsigned char *p = *pp;
    uint64_t z = 0;
    int i;
    for (i = 0; i < max_bytes; i++) {
        unsigned int b;
        if (p >= end)
            return -1;
        b = *p++;
        if (i == 9 && b > 1) /* a 10th byte holds bit 63 only */
            return -1;
        z |= (uint64_t)(b & 0x7F) << (7 * i);
        if (b < 0x80) {
            uint64_t v = (z >> 1) ^ (0 - (z & 1));
            *out = (int64_t)v; /* two's complement: what (z >> 1) ^ -(z & 1) is in Python */
            *pp = p;
            return 0;
        }
    }
    return -1;
}

/* The one-byte case inline, the rest by read_varint; `goto unusual` when it fails. */
#define VARINT(dst, max_bytes)                                                         \
    do {                                                                               \
        if (p < rend && *p < 0x80) {                                                   \
            unsigned int z_ = *p++;                                                    \
            (dst) = (int64_t)(z_ >> 1) ^ -(int64_t)(z_ & 1);                           \
        }                                                                              \
        else if (read_varint(&p, rend, (max_bytes), &(dst)) < 0) {                     \
            goto unusual;                                                              \
        }                                                                              \
    } while (0)

/* ---- headers ----------------------------------------------------------------------- */

/* The headers of one record from its header count at *pp to `rend`, as _decode_headers
 * makes them: a new tuple of (str, bytes | None) tuples, or a new reference to
 * no_headers when the count is 0. *pp is moved past them (the caller checks that the
 * record ends there). NULL with no exception set: unusual; NULL with one: an error. */
static PyObject *
read_headers(const unsigned char **pp, const unsigned char *rend, PyObject *no_headers)
{
    const unsigned char *p = *pp;
    int64_t count, klen, vlen, i;
    PyObject *headers = NULL, *key = NULL, *value = NULL, *pair;

    VARINT(count, MAX_LEN_BYTES);
    if (count < 0 || count > (rend - p) / 2) /* each header takes two bytes at least */
        goto unusual;
    if (count == 0) {
        *pp = p;
        Py_INCREF(no_headers);
        return no_headers;
    }
    headers = PyTuple_New((Py_ssize_t)count);
    if (headers == NULL)
        return NULL;
    for (i = 0; i < count; i++) {
        VARINT(klen, MAX_LEN_BYTES);
        if (klen < 0 || klen > rend - p)
            goto unusual;
        key = PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)klen, "strict");
        if (key == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
                goto error;
            PyErr_Clear();
            goto unusual;
        }
        p += klen;
        VARINT(vlen, MAX_LEN_BYTES);
        if (vlen == -1) {
            value = Py_None;
            Py_INCREF(value);
        }
        else {
            if (vlen < 0 || vlen > rend - p)
                goto unusual;
            value = PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)vlen);
            if (value == NULL)
                goto error;
            p += vlen;
        }
        pair = PyTuple_New(2);
        if (pair == NULL)
            goto error;
        PyTuple_SET_ITEM(pair, 0, key);
        PyTuple_SET_ITEM(pair, 1, value);
        key = value = NULL;
        PyTuple_SET_ITEM(headers, (Py_ssize_t)i, pair);
    }
    *pp = p;
    return headers;
unusual: /* no exception set */
error:   /* an exception set */
    Py_XDECREF(key);
    Py_XDECREF(value);
    Py_XDECREF(headers); /* items not set yet are NULL: tuple dealloc skips them */
    return NULL;
}

/* ---- decode ------------------------------------------------------------------------ */

/* An int argument as a C integer: 0, or 1 when out of range (unusual: the pure path takes
 * it), or -1 with an exception (not an int). */
static int
as_ssize(PyObject *obj, Py_ssize_t *out)
{
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "an int is required, not %.100s", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = PyLong_AsSsize_t(obj);
    if (*out == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError))
            return -1;
        PyErr_Clear();
        return 1;
    }
    return 0;
}

static int
as_int64(PyObject *obj, int64_t *out)
{
    long long v;
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "an int is required, not %.100s", Py_TYPE(obj)->tp_name);
        return -1;
    }
    v = PyLong_AsLongLong(obj);
    if (v == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError))
            return -1;
        PyErr_Clear();
        return 1;
    }
    *out = (int64_t)v;
    return 0;
}

/* a + b into *out: 1, or 0 when it does not fit 64 bits */
static inline int
add_int64(int64_t a, int64_t b, int64_t *out)
{
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        return 0;
    *out = a + b;
    return 1;
}

static inline void
put(PyObject *record, Py_ssize_t offset, PyObject *value)
{
    /* a new reference into a slot of a fresh (zeroed) instance: what the member
     * descriptor's __set__ does when the slot is empty */
    *(PyObject **)((char *)record + offset) = value;
}

PyDoc_STRVAR(decode_doc,
"decode(data, pos, count, topic, partition, base_offset, base_timestamp, ts_type,\n"
"       max_timestamp[, extra]) -> (records, next_pos) | None\n\n"
"_decode_chunk's result for `count` records of the v2 records section `data` from\n"
"`pos`, or None when the chunk is anything but plain well-formed records (the caller\n"
"then runs _decode_chunk on it). `ts_type` is 1 for LOG_APPEND_TIME batches (every\n"
"record then gets `max_timestamp`), 0 otherwise. With `extra` (not None) the records are\n"
"instances of setup_extra's subclass and its one more slot holds `extra`.");

static PyObject *
decode(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    State *st = get_state(module);
    PyObject *data, *topic, *partition, *ts_type, *max_timestamp;
    PyObject *out = NULL, *stamp = NULL, *key = NULL, *value = NULL, *offset = NULL;
    PyObject *ksize_obj = NULL, *vsize_obj = NULL, *headers = NULL, *record, *result;
    PyObject *extra = NULL;
    PyTypeObject *cls;
    const Py_ssize_t *off;
    const unsigned char *start, *end, *p, *rend;
    Py_ssize_t pos, count, size, k;
    int64_t base_offset, base_ts, length, ts_delta, offset_delta, ksize, vsize;
    int64_t last_ts_delta = 0, sum;
    int fixed, have_stamp = 0, r;

    if (nargs != 9 && nargs != 10) {
        PyErr_Format(PyExc_TypeError, "decode() takes 9 or 10 arguments (%zd given)", nargs);
        return NULL;
    }
    if (st->cls == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_cdecode.setup() has not been called");
        return NULL;
    }
    if (nargs == 10 && args[9] != Py_None) {
        if (st->sub == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "_cdecode.setup_extra() has not been called");
            return NULL;
        }
        extra = args[9];
    }
    data = args[0];
    topic = args[3];
    partition = args[4];
    ts_type = args[7];
    max_timestamp = args[8];
    if (!PyBytes_CheckExact(data))
        Py_RETURN_NONE;
    if ((r = as_ssize(args[1], &pos)) != 0 || (r = as_ssize(args[2], &count)) != 0 ||
        (r = as_int64(args[5], &base_offset)) != 0 || (r = as_int64(args[6], &base_ts)) != 0) {
        if (r < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    fixed = PyObject_IsTrue(ts_type);
    if (fixed < 0)
        return NULL;
    size = PyBytes_GET_SIZE(data);
    /* every record takes MIN_RECORD bytes at least: no list longer than the data allows */
    if (pos < 0 || pos > size || count < 0 || count > (size - pos) / MIN_RECORD)
        Py_RETURN_NONE;

    cls = extra == NULL ? st->cls : st->sub;
    off = st->offsets;
    start = (const unsigned char *)PyBytes_AS_STRING(data);
    end = start + size;
    p = start + pos;
    out = PyList_New(count);
    if (out == NULL)
        return NULL;
    if (fixed) {
        stamp = max_timestamp;
        Py_INCREF(stamp);
    }
    for (k = 0; k < count; k++) {
        /* the record's length, then its end: within the data */
        rend = end;
        VARINT(length, MAX_LEN_BYTES);
        if (length < 0 || length > end - p)
            goto unusual;
        rend = p + length;
        if (p >= rend)
            goto unusual;
        p++; /* the record attributes are unused */
        VARINT(ts_delta, MAX_TS_BYTES);
        VARINT(offset_delta, MAX_LEN_BYTES);
        if (p >= rend)
            goto unusual;
        if (*p == 1) { /* -1, null: only its one-byte form, as the pure decoder */
            ksize = -1;
            p++;
            key = Py_None;
            Py_INCREF(key);
        }
        else {
            VARINT(ksize, MAX_LEN_BYTES);
            if (ksize < 0 || ksize > rend - p)
                goto unusual;
            key = PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)ksize);
            if (key == NULL)
                goto error;
            p += ksize;
        }
        if (p >= rend)
            goto unusual;
        if (*p == 1) {
            vsize = -1;
            p++;
            value = Py_None;
            Py_INCREF(value);
        }
        else {
            VARINT(vsize, MAX_LEN_BYTES);
            if (vsize < 0 || vsize > rend - p)
                goto unusual;
            value = PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)vsize);
            if (value == NULL)
                goto error;
            p += vsize;
        }
        if (p + 1 == rend && *p == 0) {
            headers = st->no_headers;
            Py_INCREF(headers);
            p = rend;
        }
        else {
            headers = read_headers(&p, rend, st->no_headers);
            if (headers == NULL) {
                if (PyErr_Occurred())
                    goto error;
                goto unusual;
            }
            if (p != rend)
                goto unusual;
        }
        if (!add_int64(base_offset, offset_delta, &sum))
            goto unusual;
        offset = PyLong_FromLongLong((long long)sum);
        if (offset == NULL)
            goto error;
        if (!fixed && (!have_stamp || ts_delta != last_ts_delta)) {
            /* records of one millisecond share one int */
            if (!add_int64(base_ts, ts_delta, &sum))
                goto unusual;
            Py_XDECREF(stamp);
            stamp = PyLong_FromLongLong((long long)sum);
            if (stamp == NULL)
                goto error;
            have_stamp = 1;
            last_ts_delta = ts_delta;
        }
        ksize_obj = PyLong_FromLongLong((long long)ksize);
        if (ksize_obj == NULL)
            goto error;
        vsize_obj = PyLong_FromLongLong((long long)vsize);
        if (vsize_obj == NULL)
            goto error;
        record = cls->tp_alloc(cls, 0); /* as object.__new__(cls): zeroed, GC-tracked */
        if (record == NULL)
            goto error;
        Py_INCREF(topic);
        put(record, off[F_TOPIC], topic);
        Py_INCREF(partition);
        put(record, off[F_PARTITION], partition);
        put(record, off[F_OFFSET], offset);
        Py_INCREF(stamp);
        put(record, off[F_TIMESTAMP], stamp);
        Py_INCREF(ts_type);
        put(record, off[F_TS_TYPE], ts_type);
        put(record, off[F_KEY], key);
        put(record, off[F_VALUE], value);
        Py_INCREF(Py_None);
        put(record, off[F_CHECKSUM], Py_None);
        put(record, off[F_KSIZE], ksize_obj);
        put(record, off[F_VSIZE], vsize_obj);
        put(record, off[F_HEADERS], headers);
        if (extra != NULL) {
            Py_INCREF(extra);
            put(record, st->extra_offset, extra);
        }
        offset = key = value = ksize_obj = vsize_obj = headers = NULL;
        PyList_SET_ITEM(out, k, record);
    }
    Py_XDECREF(stamp);
    result = PyTuple_New(2);
    if (result == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    PyTuple_SET_ITEM(result, 0, out);
    offset = PyLong_FromSsize_t((Py_ssize_t)(p - start));
    if (offset == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    PyTuple_SET_ITEM(result, 1, offset);
    return result;

unusual:
    Py_XDECREF(key);
    Py_XDECREF(value);
    Py_XDECREF(offset);
    Py_XDECREF(ksize_obj);
    Py_XDECREF(vsize_obj);
    Py_XDECREF(headers);
    Py_XDECREF(stamp);
    Py_DECREF(out); /* records not made yet are NULL items: list dealloc skips them */
    Py_RETURN_NONE;
error:
    Py_XDECREF(key);
    Py_XDECREF(value);
    Py_XDECREF(offset);
    Py_XDECREF(ksize_obj);
    Py_XDECREF(vsize_obj);
    Py_XDECREF(headers);
    Py_XDECREF(stamp);
    Py_DECREF(out);
    return NULL;
}

/* ---- setup ------------------------------------------------------------------------- */

/* The offset of `name` in `cls`'s instances when it is a writable object slot the class
 * itself defines, else 0 (no exception set); -1 with an exception on other errors. */
static Py_ssize_t
own_slot(PyTypeObject *cls, PyObject *name)
{
    PyObject *descr = PyObject_GetAttr((PyObject *)cls, name);
    PyMemberDef *member = NULL;
    if (descr == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    if (Py_IS_TYPE(descr, &PyMemberDescr_Type) && PyDescr_TYPE(descr) == cls)
        member = ((PyMemberDescrObject *)descr)->d_member;
    Py_DECREF(descr); /* the class keeps the descriptor and its PyMemberDef */
    if (member == NULL || member->type != Py_T_OBJECT_EX || (member->flags & Py_READONLY))
        return 0;
    return member->offset;
}

PyDoc_STRVAR(setup_doc,
"setup(cls, no_headers) -> None\n\n"
"The record class (ConsumerRecord) and the shared empty headers tuple. Raises TypeError\n"
"unless the class's instances are exactly its 11 writable object slots, named as\n"
"ConsumerRecord's fields, with no __dict__ nor __weakref__.");

static PyObject *
setup(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    State *st = get_state(module);
    PyTypeObject *cls;
    Py_ssize_t offsets[NFIELDS], first = (Py_ssize_t)sizeof(PyObject);
    int i, j;

    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "setup() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (!PyType_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "setup(): cls must be a class");
        return NULL;
    }
    if (!PyTuple_CheckExact(args[1]) || PyTuple_GET_SIZE(args[1]) != 0) {
        PyErr_SetString(PyExc_TypeError, "setup(): no_headers must be the empty tuple");
        return NULL;
    }
    cls = (PyTypeObject *)args[0];
    if (cls->tp_alloc == NULL || cls->tp_itemsize != 0 || cls->tp_dictoffset != 0 ||
        cls->tp_weaklistoffset != 0 || (cls->tp_flags & Py_TPFLAGS_IS_ABSTRACT) ||
        cls->tp_basicsize != first + NFIELDS * (Py_ssize_t)sizeof(PyObject *)) {
        PyErr_Format(PyExc_TypeError,
                     "setup(): %.100s instances are not %d object slots and nothing else",
                     cls->tp_name, NFIELDS);
        return NULL;
    }
    for (i = 0; i < NFIELDS; i++) {
        PyObject *name = PyUnicode_FromString(FIELD_NAMES[i]);
        Py_ssize_t offset;
        int ok;
        if (name == NULL)
            return NULL;
        offset = own_slot(cls, name);
        Py_DECREF(name);
        if (offset < 0)
            return NULL;
        ok = offset >= first && offset <= cls->tp_basicsize - (Py_ssize_t)sizeof(PyObject *) &&
             (offset - first) % (Py_ssize_t)sizeof(PyObject *) == 0;
        for (j = 0; ok && j < i; j++)
            ok = offsets[j] != offset;
        if (!ok) {
            PyErr_Format(PyExc_TypeError,
                         "setup(): %.100s.%s is not a writable object slot of its own",
                         cls->tp_name, FIELD_NAMES[i]);
            return NULL;
        }
        offsets[i] = offset;
    }
    /* 11 distinct slots in 11 places: every slot of the instance is one of the fields */
    Py_INCREF(cls);
    Py_XSETREF(st->cls, cls);
    Py_INCREF(args[1]);
    Py_XSETREF(st->no_headers, args[1]);
    for (i = 0; i < NFIELDS; i++)
        st->offsets[i] = offsets[i];
    Py_CLEAR(st->sub); /* setup_extra's subclass was of the previous class */
    Py_RETURN_NONE;
}

PyDoc_STRVAR(setup_extra_doc,
"setup_extra(sub, name) -> None\n\n"
"A subclass of setup()'s class whose instances have exactly one more writable object\n"
"slot, `name` (the share consumer's record and its delivery_count): decode() with an\n"
"`extra` argument makes its records instances of `sub` with `extra` in that slot.\n"
"Raises TypeError for any other class.");

static PyObject *
setup_extra(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    State *st = get_state(module);
    PyTypeObject *sub;
    Py_ssize_t slot, offset;

    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "setup_extra() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (st->cls == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_cdecode.setup() has not been called");
        return NULL;
    }
    if (!PyType_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "setup_extra(): takes a class and a slot name");
        return NULL;
    }
    sub = (PyTypeObject *)args[0];
    slot = st->cls->tp_basicsize;
    if (sub->tp_base != st->cls || sub->tp_alloc == NULL || sub->tp_itemsize != 0 ||
        sub->tp_dictoffset != 0 || sub->tp_weaklistoffset != 0 ||
        (sub->tp_flags & Py_TPFLAGS_IS_ABSTRACT) ||
        sub->tp_basicsize != slot + (Py_ssize_t)sizeof(PyObject *)) {
        PyErr_Format(PyExc_TypeError,
                     "setup_extra(): %.100s is not %.100s plus one object slot",
                     sub->tp_name, st->cls->tp_name);
        return NULL;
    }
    offset = own_slot(sub, args[1]);
    if (offset < 0)
        return NULL;
    if (offset != slot) {
        PyErr_Format(PyExc_TypeError,
                     "setup_extra(): %.100s.%U is not its one writable object slot",
                     sub->tp_name, args[1]);
        return NULL;
    }
    Py_INCREF(sub);
    Py_XSETREF(st->sub, sub);
    st->extra_offset = slot;
    Py_RETURN_NONE;
}

/* ---- module ------------------------------------------------------------------------ */

static PyMethodDef methods[] = {
    {"decode", (PyCFunction)(void (*)(void))decode, METH_FASTCALL, decode_doc},
    {"setup", (PyCFunction)(void (*)(void))setup, METH_FASTCALL, setup_doc},
    {"setup_extra", (PyCFunction)(void (*)(void))setup_extra, METH_FASTCALL, setup_extra_doc},
    {NULL, NULL, 0, NULL},
};

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    State *st = get_state(module);
    Py_VISIT(st->cls);
    Py_VISIT(st->no_headers);
    Py_VISIT(st->sub);
    return 0;
}

static int
module_clear(PyObject *module)
{
    State *st = get_state(module);
    Py_CLEAR(st->cls);
    Py_CLEAR(st->no_headers);
    Py_CLEAR(st->sub);
    return 0;
}

static void
module_free(void *module)
{
    module_clear((PyObject *)module);
}

static PyModuleDef_Slot slots[] = {
    {0, NULL},
};

PyDoc_STRVAR(module_doc,
"The C twin of aiokafka_gen.consumer._records._decode_chunk (see decode).");

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "aiokafka_gen.consumer._cdecode",
    .m_doc = module_doc,
    .m_size = sizeof(State),
    .m_methods = methods,
    .m_slots = slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC
PyInit__cdecode(void)
{
    return PyModuleDef_Init(&moduledef);
}
