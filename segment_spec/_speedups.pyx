# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The compiled core of the normalize stage: the hot key work, in C.

Optional. ``segment_spec._compiled`` imports this module when it was built (the package's own
build compiles it with Cython wherever a C compiler is found) and ``SEGMENT_SPEC_NO_EXTENSIONS``
is not set; otherwise the pure-Python functions of ``_normalize`` run. Each function here does
exactly what one function there does, and the tests hold the two to identical output on
arbitrary values (tests/test_compiled.py): the Python code is the readable reference, this is
only faster.

- :func:`snake_case` is ``_normalize.snake_case``: the word pattern
  ``[A-Z0-9]+[a-z0-9]*|[a-z0-9]+`` over the key, words joined by ``_`` and lowered, the key
  itself when nothing changes.
- :func:`fast_message` is ``_normalize._fast_message`` (with ``_fast_object``, ``_fast_value``,
  ``_fast_member`` and ``_fast_batch``): None where that one raises ``_Slow`` or
  ``RecursionError``, and the careful walk then decides.
- :func:`already_snake` is ``_normalize._already_snake``.
- :class:`FastPath` is ``_normalize._python_fast``'s function: the two above in one call.
- :class:`TextSharer` is ``_envelope.ShareTexts``: a batch's items share their repeated texts.
- :func:`within` is ``_validate.view._within``: the count of a rejected message's members.
- :class:`Learner` is ``Normalizer._learn`` (with ``_KeyCache.__missing__`` for the keys it
  converts): the fast path calls it on an object with a key it has not met.

Both walks read the memos the caller hands them and call back to learn a key they miss; what a
learner may keep is decided by the constants ``_normalize`` hands it.
"""

from cpython.dict cimport PyDict_Contains, PyDict_GetItem, PyDict_Next, PyDict_SetItem, PyDict_Size
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE, PyList_SET_ITEM
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from types import MemberDescriptorType
from cpython.set cimport PySet_Contains
from cpython.unicode cimport PyUnicode_GET_LENGTH

cdef extern from "Python.h":
    bint PyUnicode_CheckExact(object)
    bint PyLong_CheckExact(object)
    bint PyFloat_CheckExact(object)
    bint PyBool_Check(object)
    bint PyDict_CheckExact(object)
    bint PyList_CheckExact(object)
    Py_UCS4 PyUnicode_READ_CHAR(object, Py_ssize_t)
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    int PyUnicode_1BYTE_KIND
    dict _PyDict_NewPresized(Py_ssize_t minused)

# Deeper than this, the walks give up and the careful walk (which needs no stack) decides: the
# same result, without a C stack that grows with what a sender nests.
DEF MAX_DEPTH = 400


cdef inline bint _leaf(object value):
    return (
        PyUnicode_CheckExact(value)
        or PyLong_CheckExact(value)
        or PyFloat_CheckExact(value)
        or PyBool_Check(value)
        or value is None
    )


# --- snake_case -----------------------------------------------------------------------------

cdef inline bint _upper_or_digit(Py_UCS4 c):
    return (c >= 65 and c <= 90) or (c >= 48 and c <= 57)


cdef inline bint _lower_or_digit(Py_UCS4 c):
    return (c >= 97 and c <= 122) or (c >= 48 and c <= 57)


def snake_case(key):
    """``_normalize.snake_case``: ``key`` converted to snake_case, or ``key`` itself when the
    conversion changes nothing (a str of any class, as there)."""
    if not isinstance(key, str):
        raise TypeError(f"snake_case takes a str, not {type(key).__name__}")
    return _snake(key)


# The output of a key of up to this many characters is written on the stack (at most two bytes
# a character: a letter, and an underscore before its word); a longer one's, in a bytearray.
DEF _STACK_KEY = 128


cdef object _snake(str key):
    """:func:`snake_case` of a str, without the check (the callers in this module pass exact
    strings) and without a Python call."""
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(key)
    cdef Py_ssize_t i = 0, start, n = 0
    cdef Py_UCS4 c
    cdef unsigned int code
    cdef unsigned char stack[2 * _STACK_KEY]
    cdef bytearray out
    cdef unsigned char *buffer = stack
    if length > _STACK_KEY:
        out = bytearray(2 * length)
        buffer = out
    cdef bint same = True  # the output so far equals the key's prefix
    while i < length:
        c = PyUnicode_READ_CHAR(key, i)
        start = i
        if _upper_or_digit(c):
            while i < length and _upper_or_digit(PyUnicode_READ_CHAR(key, i)):
                i += 1
            while i < length and _lower_or_digit(PyUnicode_READ_CHAR(key, i)):
                i += 1
        elif _lower_or_digit(c):
            while i < length and _lower_or_digit(PyUnicode_READ_CHAR(key, i)):
                i += 1
        else:
            i += 1
            continue
        if n:
            if same and (n >= length or <unsigned int>PyUnicode_READ_CHAR(key, n) != 95):
                same = False
            buffer[n] = 95  # "_"
            n += 1
        while start < i:
            code = <unsigned int>PyUnicode_READ_CHAR(key, start)
            if code >= 65 and code <= 90:
                code += 32
            if same and (n >= length or <unsigned int>PyUnicode_READ_CHAR(key, n) != code):
                same = False
            buffer[n] = <unsigned char>code
            n += 1
            start += 1
    if same and n == length:
        return key
    return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, buffer, n)


# --- the fast path --------------------------------------------------------------------------
# ``keys`` is _normalize._FAST_KEYS, read as a plain dict; ``learn(obj)`` is _normalize's
# function that puts the conversions of obj's keys in it, or answers False when the careful
# walk must decide (a key that would become empty, a long key).


cdef object _object(dict obj, dict keys, object learn, int depth, bint retried):
    cdef Py_ssize_t position = 0
    cdef PyObject *key
    cdef PyObject *item
    cdef PyObject *found
    cdef object name
    cdef dict new
    cdef object value
    if depth > MAX_DEPTH:
        return None
    new = _PyDict_NewPresized(PyDict_Size(obj))
    while PyDict_Next(obj, &position, &key, &item):
        found = PyDict_GetItem(keys, <object>key)
        if found is NULL:
            if retried or not learn(obj):  # retried: the memo was cleared under us
                return None
            return _object(obj, keys, learn, depth, True)
        # Held, not borrowed: the walk below may learn keys, and a full memo is cleared.
        name = <object>found
        value = <object>item
        if not _leaf(value):
            if PyDict_CheckExact(value):
                value = _object(value, keys, learn, depth + 1, False)
            elif PyList_CheckExact(value):
                value = _list(value, keys, learn, depth + 1)
            else:
                return None
            if value is None:
                return None
        PyDict_SetItem(new, name, value)
    if PyDict_Size(new) != PyDict_Size(obj):  # two keys became one
        return None
    return new


cdef object _list(list items, dict keys, object learn, int depth):
    cdef Py_ssize_t index, size
    cdef list new
    cdef object value, made
    if depth > MAX_DEPTH:
        return None
    new = list(items)
    size = PyList_GET_SIZE(new)
    for index in range(size):
        value = <object>PyList_GET_ITEM(new, index)
        if _leaf(value):
            continue
        made = _value(value, keys, learn, depth)
        if made is None:
            return None
        new[index] = made
    return new


cdef inline object _value(object value, dict keys, object learn, int depth):
    if PyDict_CheckExact(value):
        return _object(value, keys, learn, depth, False)
    if PyList_CheckExact(value):
        return _list(value, keys, learn, depth)
    return None


cdef object _message(dict obj, bint root, dict keys, object learn, int depth, bint retried):
    cdef Py_ssize_t position = 0
    cdef PyObject *key
    cdef PyObject *item
    cdef PyObject *found
    cdef object name
    cdef dict new
    cdef object value
    if depth > MAX_DEPTH:
        return None
    new = _PyDict_NewPresized(PyDict_Size(obj))
    while PyDict_Next(obj, &position, &key, &item):
        found = PyDict_GetItem(keys, <object>key)
        if found is NULL:
            if retried or not learn(obj):
                return None
            return _message(obj, root, keys, learn, depth, True)
        name = <object>found  # held: the walk below may clear the memo
        value = <object>item
        if not _leaf(value):
            value = _member(name, value, root, keys, learn, depth + 1)
            if value is None:
                return None
        PyDict_SetItem(new, name, value)
    if PyDict_Size(new) != PyDict_Size(obj):
        return None
    return new


cdef object _member(object name, object value, bint root, dict keys, object learn, int depth):
    """A container at the top of a message: integrations keep their keys, a batch at the root
    holds messages, anything else is an ordinary value."""
    if PyDict_CheckExact(value):
        if name == "integrations":
            return _integrations(value, keys, learn, depth)
        return _object(value, keys, learn, depth, False)
    if PyList_CheckExact(value) and root and name == "batch":
        return _batch(value, keys, learn, depth)
    return _value(value, keys, learn, depth)


cdef object _integrations(dict obj, dict keys, object learn, int depth):
    cdef Py_ssize_t position = 0
    cdef PyObject *key
    cdef PyObject *item
    cdef dict new = _PyDict_NewPresized(PyDict_Size(obj))
    cdef object value
    while PyDict_Next(obj, &position, &key, &item):
        value = <object>item
        if not _leaf(value):
            value = _value(value, keys, learn, depth + 1)
            if value is None:
                return None
        PyDict_SetItem(new, <object>key, value)
    return new


cdef object _batch(list items, dict keys, object learn, int depth):
    cdef Py_ssize_t index, size
    cdef list new = list(items)
    cdef object value, made
    size = PyList_GET_SIZE(new)
    for index in range(size):
        value = <object>PyList_GET_ITEM(new, index)
        if PyDict_CheckExact(value):
            made = _message(value, False, keys, learn, depth + 1, False)
        elif _leaf(value):
            continue
        else:
            made = _value(value, keys, learn, depth + 1)
        if made is None:
            return None
        new[index] = made
    return new


cdef class Learner:
    """``Normalizer._learn`` over one normalizer's memos: ``fast_keys`` (the fast path's
    conversions) and ``converted`` (its ``_KeyCache``, read as the dict it is; a key it misses
    is converted and kept here as ``_KeyCache.__missing__`` keeps it). ``size`` bounds each
    memo (it starts over when full), no key longer than ``longest`` is learnt, nor the keys of
    an object of more than ``most`` keys (``_normalize._HUGE``)."""

    cdef dict fast_keys
    cdef object converted  # a dict subclass: read with the dict calls, its __missing__ unused
    cdef Py_ssize_t size
    cdef Py_ssize_t longest
    cdef Py_ssize_t most

    def __init__(
        self, dict fast_keys, converted, Py_ssize_t size, Py_ssize_t longest, Py_ssize_t most
    ):
        if not isinstance(converted, dict):
            raise TypeError("converted must be a dict")
        self.fast_keys = fast_keys
        self.converted = converted
        self.size = size
        self.longest = longest
        self.most = most

    def __call__(self, dict obj):
        cdef Py_ssize_t position = 0
        cdef PyObject *key
        cdef PyObject *item
        cdef PyObject *found
        cdef object name
        if PyDict_Size(obj) > self.most:
            return False
        if PyDict_Size(self.fast_keys) + PyDict_Size(obj) > self.size:
            self.fast_keys.clear()
        while PyDict_Next(obj, &position, &key, &item):
            if PyUnicode_CheckExact(<object>key):
                if PyUnicode_GET_LENGTH(<object>key) > self.longest:
                    return False
                found = PyDict_GetItem(self.converted, <object>key)
                if found is NULL:
                    name = _snake(<str>key)
                    if PyDict_Size(self.converted) >= self.size:
                        self.converted.clear()
                    PyDict_SetItem(self.converted, <object>key, name)
                else:
                    name = <object>found
                if PyUnicode_GET_LENGTH(name) == 0 and PyUnicode_GET_LENGTH(<object>key) != 0:
                    return False
            else:  # not a parsed key: the memo itself decides (_KeyCache.__missing__)
                name = self.converted[<object>key]
                if name == "" and <object>key != "":
                    return False
            PyDict_SetItem(self.fast_keys, <object>key, name)
        return True


cdef class Unkept:
    """``_normalize._Unkept`` compiled: a memo read, never written, that names the keys of a
    huge object. An exact string the memo holds gets its entry, one it does not hold its
    :func:`snake_case`; any other key is named by ``name`` (``_normalize._name``) unless the
    memo holds it, as the Python class does."""

    cdef object memo  # a dict subclass: read with the dict calls, its __missing__ unused
    cdef object name

    def __init__(self, memo, name):
        if not isinstance(memo, dict):
            raise TypeError("memo must be a dict")
        self.memo = memo
        self.name = name

    def __getitem__(self, key):
        cdef PyObject *found
        if PyUnicode_CheckExact(key):
            found = PyDict_GetItem(self.memo, key)
            return _snake(<str>key) if found is NULL else <object>found
        known = self.memo.get(key)
        return self.name(key) if known is None else known


def fast_message(dict message, bint root, dict keys, object learn):
    """``_normalize._fast_message(message, root)``, or None where that raises ``_Slow`` or
    ``RecursionError``."""
    return _message(message, root, keys, learn, 0, False)


# --- already in snake_case ------------------------------------------------------------------
# ``known`` is _normalize._SNAKE_KEYS; ``snake_keys(obj)`` is _normalize._snake_keys, which
# decides (and learns) the keys of an object that has one not known yet. A key that the fast
# path's memo (``keys``) converts to another key is not its own snake_case: that answers
# without the call.


cdef class _Known:
    cdef set known
    cdef object snake_keys
    cdef dict keys

    def __cinit__(self, set known, object snake_keys, dict keys):
        self.known = known
        self.snake_keys = snake_keys
        self.keys = keys


cdef bint _keys(dict obj, _Known memo) except -1:
    cdef Py_ssize_t position = 0
    cdef PyObject *key
    cdef PyObject *item
    cdef PyObject *found
    cdef object name
    while PyDict_Next(obj, &position, &key, &item):
        if PySet_Contains(memo.known, <object>key) != 1:
            found = PyDict_GetItem(memo.keys, <object>key)
            if found is not NULL:
                name = <object>found
                if name != <object>key:
                    return False
            return bool(memo.snake_keys(obj))
    return True


cdef bint _values(dict obj, object skip, _Known memo, int depth) except -1:
    cdef Py_ssize_t position = 0
    cdef PyObject *key
    cdef PyObject *item
    while PyDict_Next(obj, &position, &key, &item):
        if not _snake_value(<object>item, skip, memo, depth):
            return False
    return True


cdef bint _snake_value(object value, object skip, _Known memo, int depth) except -1:
    cdef Py_ssize_t index
    if _leaf(value) or value is skip:
        return True
    if depth > MAX_DEPTH:
        return False
    if PyDict_CheckExact(value):
        return _keys(value, memo) and _values(value, None, memo, depth + 1)
    if PyList_CheckExact(value):
        for index in range(PyList_GET_SIZE(value)):
            if not _snake_value(<object>PyList_GET_ITEM(value, index), None, memo, depth + 1):
                return False
        return True
    return False


def already_snake(dict message, bint root, set known, object snake_keys, dict keys):
    """``_normalize._already_snake(message, root)``; False where that raises
    ``RecursionError`` (the fast path and the careful walk then find the same)."""
    return _already(message, root, _Known(known, snake_keys, keys))


cdef class FastPath:
    """``_normalize._python_fast``'s function over a normalizer's memos: ``FastPath(known,
    snake_keys, keys, learn)(message, root)`` is ``message`` itself when
    :func:`already_snake` says so, else what :func:`fast_message` makes (None: the careful
    walk decides). One call, and the memos read through one object made once (they are
    cleared in place, never replaced)."""

    cdef _Known memo
    cdef dict keys
    cdef object learn

    def __cinit__(self, set known, object snake_keys, dict keys, object learn):
        self.memo = _Known(known, snake_keys, keys)
        self.keys = keys
        self.learn = learn

    def __call__(self, dict message, bint root):
        if _already(message, root, self.memo):
            return message
        return _message(message, root, self.keys, self.learn, 0, False)


cdef bint _already(dict message, bint root, _Known memo) except -1:
    if not _keys(message, memo) or (root and "batch" in message):
        return False
    integrations = message.get("integrations")
    if not PyDict_CheckExact(integrations):
        return _values(message, None, memo, 1)
    return _values(integrations, None, memo, 1) and _values(message, integrations, memo, 1)


# --- building the typed message -------------------------------------------------------------

cdef extern from "Python.h":
    ctypedef struct PyMemberDef:
        Py_ssize_t offset
    ctypedef struct PyMemberDescrObject:
        PyMemberDef *d_member
    object PyType_GenericAlloc(type cls, Py_ssize_t items)


cdef class Maker:
    """``_message._factory(cls, own)``'s constructor: ``Maker(cls, names, fixed)(*values)``
    makes an instance of the slotted class ``cls`` whose slots ``names`` hold ``values`` and
    whose slots in ``fixed`` (pairs of a name and a value) hold those values, without calling
    ``__init__`` or a slot's setter: each value is written at its slot's offset, which is what
    the setter does."""

    cdef type cls
    cdef tuple offsets
    cdef tuple fixed_offsets
    cdef tuple fixed_values
    cdef Py_ssize_t count

    def __cinit__(self, type cls, tuple names, tuple fixed):
        self.cls = cls
        self.offsets = tuple([_offset(cls, name) for name in names])
        self.fixed_offsets = tuple([_offset(cls, name) for name, _ in fixed])
        self.fixed_values = tuple([value for _, value in fixed])
        self.count = len(names)

    def __call__(self, *values):
        if len(values) != self.count:
            raise TypeError(f"expected {self.count} values, got {len(values)}")
        return self._make(values, 0, None, None, None)

    cdef object _make(self, tuple common, Py_ssize_t own, object first, object second,
                      object third):
        """The instance whose slots hold ``common``, then ``own`` (0 to 3) of ``first``,
        ``second``, ``third``: what ``self(*common, first, ...)`` makes, without the tuple."""
        cdef Py_ssize_t index
        cdef Py_ssize_t shared = len(common)
        made = PyType_GenericAlloc(self.cls, 0)
        for index in range(shared):
            _put(made, <Py_ssize_t>self.offsets[index], common[index])
        if own > 0:
            _put(made, <Py_ssize_t>self.offsets[shared], first)
        if own > 1:
            _put(made, <Py_ssize_t>self.offsets[shared + 1], second)
        if own > 2:
            _put(made, <Py_ssize_t>self.offsets[shared + 2], third)
        for index in range(len(self.fixed_offsets)):
            _put(made, <Py_ssize_t>self.fixed_offsets[index], self.fixed_values[index])
        return made


cdef Py_ssize_t _offset(type cls, str name) except -1:
    descriptor = getattr(cls, name, None)
    if type(descriptor) is not MemberDescriptorType:
        raise TypeError(f"{cls.__name__}.{name} is not a slot")
    return (<PyMemberDescrObject *><PyObject *>descriptor).d_member.offset


cdef inline void _put(object made, Py_ssize_t offset, object value):
    cdef PyObject **slot = <PyObject **>((<char *><PyObject *>made) + offset)
    cdef PyObject *old = slot[0]
    Py_INCREF(value)
    slot[0] = <PyObject *>value
    Py_XDECREF(old)


# --- the typed message's values -------------------------------------------------------------

cdef extern from "Python.h":
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)


cdef inline bint _blank(str text):
    """Whether ``text.strip()`` is empty (the same whitespace test)."""
    cdef Py_ssize_t index
    for index in range(PyUnicode_GET_LENGTH(text)):
        if not Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(text, index)):
            return False
    return True


cdef class TimestampReader:
    """``_message.read_timestamps``: ``recent`` is the timestamps' memo
    (``_timestamps._RECENT``), read first; ``parse`` is ``parse_timestamp``; a ``data`` that is
    not a dict goes to ``fallback``, the Python function."""

    cdef tuple fields
    cdef dict recent
    cdef object parse, fallback

    def __cinit__(self, tuple fields, dict recent, object parse, object fallback):
        self.fields = fields
        self.recent = recent
        self.parse = parse
        self.fallback = fallback

    def __call__(self, object data):
        cdef list read = []
        cdef PyObject *borrowed
        cdef PyObject *found
        cdef object raw
        if not PyDict_CheckExact(data):
            return self.fallback(data)
        for name in self.fields:
            borrowed = PyDict_GetItem(data, name)
            if borrowed is NULL or <object>borrowed is None:
                read.append(None)
                continue
            raw = <object>borrowed  # held while parse runs
            found = PyDict_GetItem(self.recent, raw) if PyUnicode_CheckExact(raw) else NULL
            value = <object>found if found is not NULL else self.parse(raw)
            if value is None:
                return None
            read.append(value)
        return tuple(read)


cdef class Builder:
    """``_message.build_message``: the usual values (a non-blank string id, a dict) are taken
    as they are, every other one is decided by the Python helpers passed in (``text_id``,
    ``mapping``, ``text``), and each call's :class:`Maker` builds the message. A dict's values
    are read without a call; any other Mapping's through its ``get``."""

    cdef Maker track, identify, page, screen, group, alias
    cdef object text_id, mapping, text, parse
    cdef object empty  # what ``mapping`` gives for None: the one empty mapping
    cdef tuple fields

    def __cinit__(self, dict makers, object text_id, object mapping, object text, object parse,
                  tuple fields):
        self.track = makers["track"]
        self.identify = makers["identify"]
        self.page = makers["page"]
        self.screen = makers["screen"]
        self.group = makers["group"]
        self.alias = makers["alias"]
        self.text_id = text_id
        self.mapping = mapping
        self.text = text
        self.parse = parse
        self.empty = mapping(None)
        self.fields = fields

    cdef inline object _id(self, object value):
        if value is None:
            return None
        if PyUnicode_CheckExact(value) and not _blank(value):
            return value
        return self.text_id(value)

    cdef inline object _object(self, object value):
        if value is None:
            return self.empty
        return value if PyDict_CheckExact(value) else self.mapping(value)

    cdef inline object _name(self, object value):
        if value is None:
            return None
        return value if PyUnicode_CheckExact(value) else self.text(value)

    def __call__(self, str call, object data, list issues, object semantic=None,
                 object times=None):
        cdef bint plain = PyDict_CheckExact(data)
        get = None if plain else data.get  # a Mapping's
        if times is None:
            times = tuple([self.parse(_get(data, plain, get, name)) for name in self.fields])
        common = (
            self._id(_get(data, plain, get, "message_id")),
            self._id(_get(data, plain, get, "user_id")),
            self._id(_get(data, plain, get, "anonymous_id")),
            times[0], times[1], times[2], times[3],
            self._object(_get(data, plain, get, "context")),
            self._object(_get(data, plain, get, "integrations")),
            data,
            tuple(issues),
        )
        if call == "track":
            return self.track._make(
                common, 3, data["event"], self._object(_get(data, plain, get, "properties")),
                semantic,
            )
        if call == "identify":
            return self.identify._make(
                common, 1, self._object(_get(data, plain, get, "traits")), None, None
            )
        if call == "page" or call == "screen":
            maker = self.page if call == "page" else self.screen
            return maker._make(
                common,
                3,
                self._name(_get(data, plain, get, "name")),
                self._name(_get(data, plain, get, "category")),
                self._object(_get(data, plain, get, "properties")),
            )
        if call == "group":
            return self.group._make(
                common, 2, self.text_id(data["group_id"]) or "",
                self._object(_get(data, plain, get, "traits")), None,
            )
        return self.alias._make(common, 1, self.text_id(data["previous_id"]) or "", None, None)


cdef inline object _get(object data, bint plain, object get, str key):
    """``data.get(key)``: for a dict (``plain``) without a call."""
    cdef PyObject *found
    if plain:
        found = PyDict_GetItem(data, key)
        return None if found is NULL else <object>found
    return get(key)


# --- the validate stage's count of members -------------------------------------------------------

cdef extern from "Python.h":
    int PyObject_IsInstance(object, object) except -1

cdef tuple _CONTAINERS = (dict, list)


cdef inline bint _container(object value) except -1:
    # Python's isinstance, as view._container asks it (Cython's would test the type alone).
    return (
        PyDict_CheckExact(value)
        or PyList_CheckExact(value)
        or (not _leaf(value) and PyObject_IsInstance(value, _CONTAINERS))
    )


def within(object value, Py_ssize_t budget):
    """``view._within``: whether ``value`` has at most ``budget`` members at any depth,
    counting no further than that."""
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t position
    cdef list pending = [value]
    cdef object node, members, member
    cdef PyObject *key
    cdef PyObject *item
    while pending:
        node = pending.pop()
        if PyDict_CheckExact(node):
            count += PyDict_Size(node)
            if count > budget:
                return False
            position = 0
            while PyDict_Next(node, &position, &key, &item):
                member = <object>item
                if _container(member):
                    pending.append(member)
            continue
        if PyList_CheckExact(node):
            members = node
        elif PyObject_IsInstance(node, dict):
            members = node.values()
        elif PyObject_IsInstance(node, list):
            members = node
        else:
            continue
        count += len(node)
        if count > budget:
            return False
        for member in members:
            if _container(member):
                pending.append(member)
    return True


def foreign_at_top(dict value, frozenset foreign):
    """``_snake_parse._foreign_at_top``: whether an object directly under the root of
    ``value``, other than its ``integrations``, has a key in ``foreign``."""
    cdef Py_ssize_t position = 0
    cdef Py_ssize_t inner
    cdef PyObject *key
    cdef PyObject *item
    cdef PyObject *name
    cdef PyObject *ignored
    cdef Py_ssize_t names = len(foreign)
    cdef object integrations = value.get("integrations")
    while PyDict_Next(value, &position, &key, &item):
        if not PyDict_CheckExact(<object>item) or <object>item is integrations:
            continue
        # Whichever is smaller is read: the object's keys, or the names.
        if PyDict_Size(<object>item) <= names:
            inner = 0
            while PyDict_Next(<object>item, &inner, &name, &ignored):
                if PySet_Contains(foreign, <object>name) == 1:
                    return True
        else:
            for known in foreign:
                if PyDict_Contains(<object>item, known) == 1:
                    return True
    return False


cdef class TextSharer:
    """``_envelope.ShareTexts``: an item's members named by ``keys`` whose text is in
    ``texts`` get the string kept there; ``texts`` keeps at most ``most`` texts, of at most
    ``longest`` characters each."""

    cdef dict texts
    cdef tuple keys
    cdef Py_ssize_t longest, most

    def __cinit__(self, dict texts, tuple keys, Py_ssize_t longest, Py_ssize_t most):
        self.texts = texts
        self.keys = keys
        self.longest = longest
        self.most = most

    def __call__(self, dict message):
        cdef PyObject *found
        cdef PyObject *kept
        cdef object text
        for key in self.keys:
            found = PyDict_GetItem(message, key)
            if found is NULL:
                continue
            text = <object>found
            if not PyUnicode_CheckExact(text) or PyUnicode_GET_LENGTH(text) > self.longest:
                continue
            kept = PyDict_GetItem(self.texts, text)
            if kept is NULL:
                if PyDict_Size(self.texts) < self.most:
                    PyDict_SetItem(self.texts, text, text)
            elif kept != found:
                PyDict_SetItem(message, key, <object>kept)
