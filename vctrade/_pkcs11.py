"""The PKCS#11 key back-end (``pkcs11:`` URIs, RFC 7512), through python-pkcs11 (``pip install 'vctrade[hsm]'``).

Implements the protocol in ``vctrade/_keybackend.py``. The module comes from ``VCTRADE_PKCS11_MODULE`` (or the URI's
``module-path`` query attribute); the user PIN from the file ``VCTRADE_PKCS11_PIN_FILE`` names (its first line) or
from ``VCTRADE_PKCS11_PIN``, never from the URI (``pin-value`` is refused) or the command line. Path attributes
understood: ``token``, ``manufacturer``, ``model``, ``serial``, ``slot-id`` (which token), ``object``, ``id``,
``type`` (which key; ``type`` may only be ``private``).

Ed25519 keys sign with CKM_EDDSA; P-256 / P-384 with CKM_ECDSA over the SHA-256 / SHA-384 digest computed here (a
token's ECDSA answers ``r‖s`` by the standard; a DER answer is converted). Private keys are made with
CKA_SENSITIVE and not CKA_EXTRACTABLE: nothing in vctrade reads them. One logged-in session per token and process,
shared by its keys under a lock; a forked process (service workers) initialises the module again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from vctrade.errors import InvalidKey, OperationalError, UnsupportedError

__all__ = ["Pkcs11Uri", "Pkcs11Key", "parse_uri", "open_key", "generate_key"]

MODULE_ENV, PIN_FILE_ENV, PIN_ENV = "VCTRADE_PKCS11_MODULE", "VCTRADE_PKCS11_PIN_FILE", "VCTRADE_PKCS11_PIN"

# DER of the curve's namedCurve OID (and PKCS#11 3.0's older printable-string name for Ed25519) -> key type
_CURVES = {
    bytes.fromhex("06082a8648ce3d030107"): "P-256",
    bytes.fromhex("06052b81040022"): "P-384",
    bytes.fromhex("06032b6570"): "Ed25519",
    b"\x13\x0cedwards25519": "Ed25519",
}
_PARAMS = {"Ed25519": bytes.fromhex("06032b6570"), "P-256": bytes.fromhex("06082a8648ce3d030107"),
           "P-384": bytes.fromhex("06052b81040022")}
_EC_CURVE: dict[str, tuple[ec.EllipticCurve, Any, int]] = {
    "P-256": (ec.SECP256R1(), hashlib.sha256, 32), "P-384": (ec.SECP384R1(), hashlib.sha384, 48)}
_TOKEN_ATTRS = {"token": "label", "manufacturer": "manufacturer_id", "model": "model", "serial": "serial"}
_PATH_ATTRS = {*_TOKEN_ATTRS, "slot-id", "object", "id", "type", "library-manufacturer", "library-description",
               "library-version", "slot-description", "slot-manufacturer"}


@dataclass(frozen=True)
class Pkcs11Uri:
    """A parsed ``pkcs11:`` URI: which token (attributes by name), which object, and the module to load."""

    text: str
    token: dict[str, str]
    slot_id: int | None
    label: str | None
    id: bytes | None
    module_path: str | None


def parse_uri(text: str) -> Pkcs11Uri:
    """Parse an RFC 7512 URI naming one key; refuse what it must not carry (a PIN) or vctrade does not know."""
    if not text.lower().startswith("pkcs11:"):
        raise InvalidKey(f"{text!r} is not a pkcs11: URI")
    path, _, query = text[len("pkcs11:"):].partition("?")
    attrs: dict[str, str] = {}
    raw_id: bytes | None = None
    for part in filter(None, path.split(";")):
        name, eq, value = part.partition("=")
        name = name.strip().lower()
        if not eq or name not in _PATH_ATTRS:
            raise InvalidKey(f"{text}: unknown or malformed attribute {part!r} (understood: {', '.join(sorted(_PATH_ATTRS))})")
        if name in attrs:
            raise InvalidKey(f"{text}: attribute {name!r} given twice")
        attrs[name] = unquote(value)
        if name == "id":
            raw_id = unquote_to_bytes(value)
    module_path = None
    for part in filter(None, query.split("&")):
        name, _, value = part.partition("=")
        if name in ("pin-value", "pin-source"):
            raise InvalidKey(f"pkcs11:{path}?{name}=…: a PIN is never part of a key URI; set {PIN_FILE_ENV} (a file "
                             "holding the PIN) "
                             f"or {PIN_ENV}")  # the URI itself is not repeated: it holds the PIN
        if name != "module-path":
            raise InvalidKey(f"{text}: unknown query attribute {name!r} (understood: module-path)")
        module_path = unquote(value)
    if attrs.get("type", "private") != "private":
        raise InvalidKey(f"{text}: a signing key is a private key object (type=private), not type={attrs['type']}")
    if "object" not in attrs and raw_id is None:
        raise InvalidKey(f"{text}: name the key with object=LABEL (or id=…)")
    slot = attrs.get("slot-id")
    if slot is not None and not slot.isdigit():
        raise InvalidKey(f"{text}: slot-id must be a decimal number")
    token = {k: v for k, v in attrs.items() if k in _TOKEN_ATTRS}
    return Pkcs11Uri(text, token, int(slot) if slot is not None else None, attrs.get("object"), raw_id, module_path)


def _pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError:
        raise OperationalError("PKCS#11 keys need python-pkcs11: pip install 'vctrade[hsm]'") from None
    return pkcs11


# -- the module and its sessions: one loaded module per path, one logged-in session per token, per process ----------

_LOCK = threading.Lock()
_LIBS: dict[str, tuple[int, Any]] = {}
_SESSIONS: dict[tuple[str, int], tuple[int, Any, threading.Lock]] = {}


def _module_path(uri: Pkcs11Uri) -> str:
    path = uri.module_path or os.environ.get(MODULE_ENV)
    if not path:
        raise InvalidKey(f"{uri.text}: set {MODULE_ENV} to the token's PKCS#11 module "
                         "(e.g. /usr/lib/softhsm/libsofthsm2.so)")
    return path


def _lib(path: str) -> Any:
    """The loaded module (C_Initialize once per process; again in a forked child)."""
    pkcs11 = _pkcs11()
    pid, lib = _LIBS.get(path, (0, None))
    if lib is not None and pid != os.getpid():
        lib.reinitialize()
        _LIBS[path] = (os.getpid(), lib)
        for key in [k for k in _SESSIONS if k[0] == path]:
            del _SESSIONS[key]
    elif lib is None:
        if not os.path.exists(path):
            raise OperationalError(f"the PKCS#11 module {path} ({MODULE_ENV}) does not exist")
        try:
            lib = pkcs11.lib(path)
        except pkcs11.PKCS11Error as exc:
            raise OperationalError(f"cannot load the PKCS#11 module {path}: {exc or type(exc).__name__}") from None
        _LIBS[path] = (os.getpid(), lib)
    return lib


def _token(lib: Any, uri: Pkcs11Uri) -> Any:
    pkcs11 = _pkcs11()
    try:
        slots = lib.get_slots(token_present=True)
        found, labels = [], []
        for slot in slots:
            token = slot.get_token()
            if token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED:
                labels.append(token.label)
            if uri.slot_id is not None and slot.slot_id != uri.slot_id:
                continue
            if all(_text(getattr(token, attr)) == uri.token[name] for name, attr in _TOKEN_ATTRS.items()
                   if name in uri.token):
                found.append(token)
    except pkcs11.PKCS11Error as exc:
        raise OperationalError(f"{uri.text}: the PKCS#11 module failed listing its tokens: {_name(exc)}") from None
    if not found:
        raise InvalidKey(f"{uri.text}: no token matches (tokens present: "
                         f"{', '.join(repr(label) for label in labels) or 'none'})", code="key_not_found")
    if len(found) > 1:
        raise InvalidKey(f"{uri.text}: {len(found)} tokens match; name one with token=, serial= or slot-id=")
    return found[0]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace").strip() if isinstance(value, bytes) else str(value).strip()


def _name(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _pin(uri: Pkcs11Uri, token: Any) -> str | None:
    pkcs11 = _pkcs11()
    pin_file = os.environ.get(PIN_FILE_ENV)
    if pin_file:
        try:
            with open(pin_file, encoding="utf-8") as handle:
                pin = handle.readline().rstrip("\r\n")
        except OSError as exc:
            raise InvalidKey(f"cannot read the PIN file {pin_file} ({PIN_FILE_ENV}): {exc.strerror}") from None
        if not pin:
            raise InvalidKey(f"the PIN file {pin_file} ({PIN_FILE_ENV}) is empty")
        return pin
    if os.environ.get(PIN_ENV):
        return os.environ[PIN_ENV]
    if token.flags & pkcs11.TokenFlag.PROTECTED_AUTHENTICATION_PATH:
        return None
    if token.flags & pkcs11.TokenFlag.LOGIN_REQUIRED:
        raise InvalidKey(f"{uri.text}: token {token.label!r} needs its PIN: set {PIN_FILE_ENV} (a file holding it) "
                         f"or {PIN_ENV}", code="pin_missing")
    return ""


def _session(uri: Pkcs11Uri, *, rw: bool = False) -> tuple[Any, Any, threading.Lock]:
    """The token ``uri`` names and a logged-in session on it, with the lock its users hold."""
    pkcs11 = _pkcs11()
    with _LOCK:
        path = _module_path(uri)
        lib = _lib(path)
        token = _token(lib, uri)
        key = (path, token.slot.slot_id)
        cached = _SESSIONS.get(key)
        if cached is not None and (cached[1].rw or not rw):
            return token, cached[1], cached[2]
        pin = _pin(uri, token)
        try:
            user_pin: Any = pkcs11.PROTECTED_AUTH if pin is None else pin or None
            try:
                session = token.open(rw=rw, user_pin=user_pin)
            except pkcs11.exceptions.UserAlreadyLoggedIn:
                session = token.open(rw=rw)
        except (pkcs11.exceptions.PinIncorrect, pkcs11.exceptions.PinInvalid, pkcs11.exceptions.PinLenRange):
            source = PIN_FILE_ENV if os.environ.get(PIN_FILE_ENV) else PIN_ENV
            raise InvalidKey(f"{uri.text}: wrong PIN for token {token.label!r} (from {source})",
                             code="pin_incorrect") from None
        except pkcs11.exceptions.PinLocked:
            raise OperationalError(f"{uri.text}: the user PIN of token {token.label!r} is locked (too many wrong "
                                   "PINs); its security officer must unlock it", code="pin_locked") from None
        except pkcs11.exceptions.UserPinNotInitialized:
            raise InvalidKey(f"{uri.text}: token {token.label!r} has no user PIN yet (initialise it)") from None
        except pkcs11.PKCS11Error as exc:
            raise OperationalError(f"{uri.text}: cannot open a session on token {token.label!r}: {_name(exc)}") from None
        lock = cached[2] if cached is not None else threading.Lock()
        _SESSIONS[key] = (os.getpid(), session, lock)
        return token, session, lock


def _require_mechanism(uri: Pkcs11Uri, token: Any, key_type: str, *, generate: bool = False) -> None:
    pkcs11 = _pkcs11()
    mech = pkcs11.Mechanism
    needed = [mech.EDDSA] if key_type == "Ed25519" else [mech.ECDSA]
    if generate:
        needed.append(mech.EC_EDWARDS_KEY_PAIR_GEN if key_type == "Ed25519" else mech.EC_KEY_PAIR_GEN)
    try:
        have = token.slot.get_mechanisms()
    except pkcs11.PKCS11Error as exc:
        raise OperationalError(f"{uri.text}: cannot list the token's mechanisms: {_name(exc)}") from None
    missing = [f"CKM_{m.name}" for m in needed if m not in have]
    if missing:
        what = "EdDSA (Ed25519)" if key_type == "Ed25519" else f"ECDSA ({key_type})"
        raise UnsupportedError(f"{uri.text}: token {token.label!r} does not support {what}: it lacks "
                               f"{', '.join(missing)}" + ("; use a P-256 or P-384 key there" if key_type == "Ed25519"
                                                          else ""), code="mechanism_unsupported")


def _decode_point(key_type: str, point: bytes) -> bytes:
    """CKA_EC_POINT is a DER OCTET STRING by the standard; some modules give the bare point."""
    size = 32 if key_type == "Ed25519" else 1 + 2 * _EC_CURVE[key_type][2]
    if len(point) == size:
        return point
    if len(point) == size + 2 and point[0] == 0x04 and point[1] == size:
        return point[2:]
    raise InvalidKey(f"unexpected CKA_EC_POINT of {len(point)} bytes for a {key_type} key")


class Pkcs11Key:
    """A key in a PKCS#11 token: signs there; only its public key is read."""

    def __init__(self, uri: Pkcs11Uri, key_type: str, public: Any, private: Any, lock: threading.Lock) -> None:
        self._uri, self._key_type, self._public, self._private, self._lock = uri, key_type, public, private, lock
        self._pid = os.getpid()

    @property
    def uri(self) -> str:
        return self._uri.text

    @property
    def key_type(self) -> str:
        return self._key_type

    def public_key(self) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
        return self._public  # type: ignore[no-any-return]

    def sign(self, data: bytes) -> bytes:
        pkcs11 = _pkcs11()
        if self._pid != os.getpid():  # forked: the parent's handles mean nothing here
            fresh = open_key(self._uri.text)
            self._private, self._lock, self._pid = fresh._private, fresh._lock, os.getpid()
        if self._key_type == "Ed25519":
            message, mechanism, size = data, pkcs11.Mechanism.EDDSA, 32
        else:
            _, digest, size = _EC_CURVE[self._key_type]
            message, mechanism = digest(data).digest(), pkcs11.Mechanism.ECDSA
        try:
            with self._lock:
                signature: bytes = self._private.sign(message, mechanism=mechanism)
        except pkcs11.exceptions.MechanismInvalid:
            raise UnsupportedError(f"{self.uri}: the token refuses CKM_{mechanism.name}",
                                   code="mechanism_unsupported") from None
        except pkcs11.PKCS11Error as exc:
            raise OperationalError(f"{self.uri}: the token failed to sign: {_name(exc)}") from None
        if len(signature) != 2 * size and self._key_type != "Ed25519":
            try:  # a DER ECDSA-Sig-Value, as some modules answer
                r, s = decode_dss_signature(signature)
                signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
            except ValueError:
                raise OperationalError(f"{self.uri}: the token returned a {len(signature)}-byte ECDSA signature") from None
        return signature


def _find(session: Any, uri: Pkcs11Uri, object_class: Any) -> list[Any]:
    pkcs11 = _pkcs11()
    template: dict[Any, Any] = {pkcs11.Attribute.CLASS: object_class}
    if uri.label is not None:
        template[pkcs11.Attribute.LABEL] = uri.label
    if uri.id is not None:
        template[pkcs11.Attribute.ID] = uri.id
    return list(session.get_objects(template))


def open_key(text: str) -> Pkcs11Key:
    """The private key ``text`` names and its public key, read from the token (both must be there)."""
    pkcs11 = _pkcs11()
    attr = pkcs11.Attribute
    uri = parse_uri(text)
    token, session, lock = _session(uri)
    try:
        with lock:
            privates = _find(session, uri, pkcs11.ObjectClass.PRIVATE_KEY)
            if len(privates) != 1:
                what = "no private key" if not privates else f"{len(privates)} private keys"
                raise InvalidKey(f"{text}: token {token.label!r} holds {what} with that "
                                 f"{'object label' if uri.label is not None else 'id'}"
                                 + ("; name one with id=" if privates else ""), code="key_not_found")
            private = privates[0]
            kind = private[attr.KEY_TYPE]
            # the public key beside it: same id (else same label)
            public_uri = uri if uri.id is not None else Pkcs11Uri(uri.text, uri.token, uri.slot_id, uri.label,
                                                                  private[attr.ID] or None, None)
            publics = _find(session, public_uri, pkcs11.ObjectClass.PUBLIC_KEY) or _find(
                session, uri, pkcs11.ObjectClass.PUBLIC_KEY)
            if not publics:
                raise InvalidKey(f"{text}: token {token.label!r} has the private key but no public key object beside "
                                 "it (same id or label): vctrade reads the public key from there", code="key_not_found")
            params, point = publics[0][attr.EC_PARAMS], publics[0][attr.EC_POINT]
    except pkcs11.PKCS11Error as exc:
        raise OperationalError(f"{text}: reading the key from the token failed: {_name(exc)}") from None
    key_type = _CURVES.get(bytes(params)) if kind in (pkcs11.KeyType.EC, pkcs11.KeyType.EC_EDWARDS) else None
    if key_type is None:
        raise UnsupportedError(f"{text}: the key is not Ed25519, P-256 or P-384 (key type {kind!r})")
    raw = _decode_point(key_type, bytes(point))
    try:
        public: Any = (ed25519.Ed25519PublicKey.from_public_bytes(raw) if key_type == "Ed25519"
                       else ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVE[key_type][0], raw))
    except ValueError as exc:
        raise InvalidKey(f"{text}: the token's public key does not decode: {exc}") from None
    _require_mechanism(uri, token, key_type)
    return Pkcs11Key(uri, key_type, public, private, lock)


def generate_key(text: str, key_type: str) -> Pkcs11Key:
    """Generate a ``key_type`` key pair inside the token (sensitive, not extractable), labelled and id'd as ``text``
    says; refuse when an object of that label or id is already there."""
    pkcs11 = _pkcs11()
    attr = pkcs11.Attribute
    uri = parse_uri(text)
    if key_type not in _PARAMS:
        raise UnsupportedError(f"a PKCS#11 key is Ed25519, P-256 or P-384, not {key_type}")
    token, session, lock = _session(uri, rw=True)
    _require_mechanism(uri, token, key_type, generate=True)
    key_id = uri.id if uri.id is not None else os.urandom(16)
    try:
        with lock:
            for label_only, id_only in ((uri.label, None), (None, uri.id)):
                if label_only is None and id_only is None:
                    continue
                probe = Pkcs11Uri(text, {}, None, label_only, id_only, None)
                if _find(session, probe, pkcs11.ObjectClass.PRIVATE_KEY) or _find(
                        session, probe, pkcs11.ObjectClass.PUBLIC_KEY):
                    raise InvalidKey(f"{text}: token {token.label!r} already holds a key with that "
                                     f"{'label' if label_only is not None else 'id'}; refusing to add another",
                                     code="key_exists")
            common = {attr.TOKEN: True, attr.ID: key_id, **({attr.LABEL: uri.label} if uri.label else {})}
            public_template = {**common, attr.EC_PARAMS: _PARAMS[key_type], attr.VERIFY: True}
            private_template = {**common, attr.PRIVATE: True, attr.SENSITIVE: True, attr.EXTRACTABLE: False,
                                attr.SIGN: True}
            session.generate_keypair(
                pkcs11.KeyType.EC_EDWARDS if key_type == "Ed25519" else pkcs11.KeyType.EC, 0,
                mechanism=pkcs11.Mechanism.EC_EDWARDS_KEY_PAIR_GEN if key_type == "Ed25519"
                else pkcs11.Mechanism.EC_KEY_PAIR_GEN,
                store=True, public_template=public_template, private_template=private_template)
    except pkcs11.PKCS11Error as exc:
        raise OperationalError(f"{text}: the token failed to generate the key: {_name(exc)}") from None
    return open_key(text)
