"""PostgreSQL plumbing shared by reading and writing: URIs, masked passwords, the driver,
connections and one-line errors.

The driver is ADBC's PostgreSQL driver (``adbc-driver-postgresql``, the ``postgres`` extra): it
streams query results as Arrow record batches and writes Arrow with binary ``COPY``; on one
million rows it read 5× and wrote 2× faster than psycopg 3 with text ``COPY``
(``benchmarks/RESULTS.md``). It connects through libpq, so the user name, password, host and
database come from the URI, the ``PG*`` environment variables or ``~/.pgpass``, as for ``psql``.
Passwords never appear in a message: every text that may hold a URI goes through
:func:`mask_password`.

Opening a driver connection costs about 0.1 s, most of it the driver reading the server's type
catalog, which it does once per ADBC "database" object. One operation (a command, a source, a
table written) opens several connections to the same server (describe the table, read, check
the targets, write): inside :func:`one_catalog` they share one database object, so the catalog
is read once and each further connection costs a login only (~15 ms). The sharing ends with the
block, so a type created later (an enum, an extension's type) is seen by the next operation.
"""

from __future__ import annotations

import re
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from clvmodel.errors import InputError

__all__ = [
    "connect",
    "is_postgres_uri",
    "mask_password",
    "one_catalog",
    "quote_name",
    "translate_error",
    "uri_password",
]

# URI -> the idle connection whose database object the block's connections share (None outside
# a one_catalog block).
_SHARED: ContextVar[dict | None] = ContextVar("clvmodel_postgres_catalogs", default=None)

_SCHEMES = ("postgresql://", "postgres://")
_INSTALL = "pip install 'clvmodel[postgres]'"

# A URI's scheme, also as pathlib shows it (one slash); password=... in a key/value connection
# string or a URI query.
_SCHEME = re.compile(r"(?i)postgres(?:ql)?:/{1,2}")
_KEY_SECRET = re.compile(r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)")


def is_postgres_uri(path) -> bool:
    """Whether ``path`` is a ``postgresql://`` (or ``postgres://``) connection URI."""
    return isinstance(path, str) and path.strip().lower().startswith(_SCHEMES)


def mask_password(text: object) -> str:
    """``text`` with every password of a connection URI or string replaced by ``***``.

    Examples
    --------
    >>> mask_password("postgresql://ann:s3cret@db:5432/shop")
    'postgresql://ann:***@db:5432/shop'
    >>> mask_password("postgresql://ann:p@ss@db/shop")  # an unescaped @ in the password
    'postgresql://ann:***@db/shop'
    >>> mask_password("postgresql:/ann:a/b@c d@db/shop")  # as pathlib shows it; "/", "@", " "
    'postgresql:/ann:***@db/shop'
    >>> mask_password("host=db password='a b' user=ann")
    'host=db password=*** user=ann'
    """
    return _KEY_SECRET.sub(r"\1***", _mask_uris(str(text)))


def _password_span(text: str, start: int, stop: int) -> tuple[int, int] | None:
    """Where the password of the URI whose user begins at ``start`` lies (``stop``: the end of
    its line or the next URI), or None.

    A password may hold "/", "@", "?" or spaces that the user did not escape: it runs from after
    ``user:`` to the last "@" that can end it: any "@" when what comes before has no white space,
    "?" or "#", else only an "@" followed by a host with its port or database (``@db:5432``,
    ``@db/shop``), so that a later "@" in a message (``user ann@corp.com``) or a query string
    (``?user=ann@corp&...``) is not taken for the host's.
    """
    at = text.find("@", start, stop)
    colon = text.find(":", start, at) if at != -1 else -1
    if colon == -1 or any(c in text[start:colon] for c in "/?#@ \t"):
        return None  # no user:password@ (a user alone, a host:port, a path)
    if text.startswith("***@", colon + 1):
        return colon + 1, colon + 4  # masked already: an "@" further on is not the host's
    end = None
    while at != -1:
        secret = text[colon + 1 : at]
        plain = not any(c.isspace() or c in "?#" for c in secret)
        if plain or _HOST.match(text, at + 1):
            end = at
        at = text.find("@", at + 1, stop)
    return None if end is None else (colon + 1, end)


#: A host followed by its port or database, as after the "@" of a URI.
_HOST = re.compile(r"[A-Za-z0-9._%\[\]-]+(?=[:/])")


def _mask_uris(text: str) -> str:
    schemes = list(_SCHEME.finditer(text))
    pieces, done = [], 0
    for i, scheme in enumerate(schemes):
        stop = schemes[i + 1].start() if i + 1 < len(schemes) else len(text)
        newline = text.find("\n", scheme.end(), stop)
        span = _password_span(text, scheme.end(), stop if newline == -1 else newline)
        if span is not None:
            pieces += [text[done : span[0]], "***"]
            done = span[1]
    return "".join(pieces) + text[done:]


def uri_password(uri: str) -> str | None:
    """The password written in ``uri`` (as written, percent escapes kept), or None."""
    scheme = _SCHEME.match(uri.strip())
    if scheme is None:
        return None
    text = uri.strip()
    span = _password_span(text, scheme.end(), len(text))
    return text[span[0] : span[1]] if span and span[1] > span[0] else None


def quote_name(name: str) -> str:
    """A table name as SQL: ``schema.table`` quoted part by part; a name already holding a
    double quote is taken as written (the user quoted it)."""
    if '"' in name:
        return name
    return ".".join('"' + part + '"' for part in name.split("."))


def _driver():
    try:
        import adbc_driver_postgresql.dbapi as dbapi
    except ImportError:
        raise InputError(
            f"reading or writing PostgreSQL needs the ADBC PostgreSQL driver: {_INSTALL}"
        ) from None
    return dbapi


def connect(uri: str):
    """A DB-API connection (autocommit off) to ``uri``; failures become one-line
    :class:`~clvmodel.InputError` messages without the password. Inside :func:`one_catalog`,
    a new login on the block's shared driver database for ``uri``."""
    dbapi = _driver()
    uri = _lower_scheme(uri.strip())
    shared = _SHARED.get()
    try:
        if shared is None:
            return dbapi.connect(uri)
        if uri not in shared:
            shared[uri] = dbapi.connect(uri, autocommit=True)
        return shared[uri].adbc_clone()
    except Exception as exc:  # noqa: BLE001 - the driver's errors become one InputError
        raise translate_error(exc, uri, "connect to") from None


def _lower_scheme(uri: str) -> str:
    """``uri`` with its scheme in lower case: libpq knows ``postgresql://`` only so spelled."""
    scheme = _SCHEME.match(uri)
    return uri[: scheme.end()].lower() + uri[scheme.end() :] if scheme else uri


@contextmanager
def one_catalog():
    """Within the block, :func:`connect` to the same URI reuses one driver database (the
    server's type catalog read once); the shared connections are closed at its end. A block
    inside another adds nothing: the outer one serves."""
    if _SHARED.get() is not None:
        yield
        return
    shared: dict = {}
    token = _SHARED.set(shared)
    try:
        yield
    finally:
        _SHARED.reset(token)
        for anchor in shared.values():
            anchor.close()


def rollback_quietly(connection) -> None:
    """Roll back ``connection``'s transaction; on a connection the server has cut there is nothing
    to roll back (the server did), and the error of trying is ignored."""
    with suppress(Exception):
        connection.rollback()


def _first_line(exc: BaseException) -> str:
    """The server's (or libpq's) own words from a driver error, without the driver's prefixes."""
    line = next((part.strip() for part in str(exc).splitlines() if part.strip()), "")
    found = list(re.finditer(r"(?:ERROR|FATAL):\s+", line))
    if found:
        line = line[found[-1].end() :]
    else:
        line = re.sub(r"^([A-Z_]+: )?(\[libpq\] )?", "", line)
        line = re.sub(r"^.*? failed: ", "", line)
    return line.strip().rstrip(".")


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a driver error, or ``""``."""
    state = getattr(exc, "sqlstate", None) or ""
    if not state:
        found = re.search(r"SQLSTATE:?\s*([0-9A-Z]{5})", str(exc))
        state = found.group(1) if found else ""
    return state


def display(uri: str) -> str:
    """``uri`` as it may be shown: without its password or query parameters."""
    return mask_password(uri.strip()).split("?", 1)[0]  # masked first: a password may hold "?"


def translate_error(exc: BaseException, uri: str, doing: str) -> InputError:
    """One clear line for a driver error met while ``doing`` (e.g. ``"read table x from"``)
    the database at ``uri``."""
    where = display(uri)
    state = sqlstate(exc)
    detail = mask_password(_without_password(_first_line(exc), uri))
    lowered = str(exc).lower()
    if state in ("28P01", "28000") or "password authentication failed" in lowered:
        message = (
            f"cannot {doing} {where}: the server refused the user name or password ({detail}). "
            "Check the user in the URI and the password in PGPASSWORD or ~/.pgpass."
        )
    elif state == "55P03":
        message = (
            f"cannot {doing} {where}: another session holds the table ({detail}); nothing was "
            "changed. Try again when its queries have finished."
        )
    elif state == "3D000":
        message = f"cannot {doing} {where}: {detail}. Check the database name at the URI's end."
    elif state == "42501":
        message = (
            f"cannot {doing} {where}: {detail}. Ask the database owner for the privilege, or "
            "connect as another user."
        )
    elif state.startswith("57P") or state.startswith("08") or _lost(lowered):
        message = (
            f"cannot {doing} {where}: the connection to the server was lost or refused "
            f"({detail}); nothing was written. Check that the server is running and reachable "
            "and try again."
        )
    else:
        message = f"cannot {doing} {where}: {detail}."
    return InputError(message)  # its URI and detail masked: masking it again could over-mask


def _without_password(text: str, uri: str) -> str:
    """``text`` without the literal password of ``uri`` (a driver may repeat it, decoded or not,
    outside a URI), nor the pieces libpq cuts it into at "/", "@", ":" or a space."""
    from urllib.parse import unquote

    password = uri_password(uri)
    if not password:
        return text
    whole = {password, unquote(password)}
    pieces = set()
    for secret in whole:
        cuts = [m.start() for m in re.finditer(r"[/@: ]", secret)]
        pieces.update(secret[c + 1 :] for c in cuts)
        pieces.update(secret[:c] for c in cuts)
    # Pieces of one or two characters would mask ordinary words ("rd" in "password").
    secrets = whole | {piece for piece in pieces if len(piece) >= 3}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _lost(lowered: str) -> bool:
    return any(
        phrase in lowered
        for phrase in (
            "could not connect",
            "connection refused",
            "server closed the connection",
            "terminating connection",
            "no connection to the server",
            "could not translate host name",
            "connection timed out",
            "failed to connect",
            "could not receive data",
            "could not send data",
        )
    )
