"""The ``vctrade`` command line: thin — parse arguments, call the library, print.

Exit codes: 0 verified / done, 1 not verified, 2 bad usage or input,
3 could not decide or could not do (e.g. a DID that does not resolve),
141 stdout's reader went away (``vctrade show x.json | head -1``; quietly, as a shell reports SIGPIPE).
Payloads go to stdout, messages to stderr; ``-`` names stdin (a file read) or stdout (a file written).
On a terminal, verdict marks are coloured and long lines wrapped; piped output is plain, one line per check.
"""

# No `from __future__ import annotations` here: Typer reads every command's signature at start-up, and string
# annotations would be evaluated again for each command on every run (~10 ms). Names imported only for type
# checking are quoted instead.

import json
import os
import sys
import threading
import traceback
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, cast

import typer

from vctrade import __version__
from vctrade.errors import InputError, InvalidDocument, VctradeError

if TYPE_CHECKING:  # the library is imported by the commands that use it: `vctrade --version` stays instant
    from rich.progress import Progress, TaskID

    from vctrade._batch import Batch, VerifyOptions
    from vctrade._dask import DaskBatch
    from vctrade._keys import Key
    from vctrade._result import VerificationResult
    from vctrade._terminal import Terminal
    from vctrade.jsonld import DocumentLoader
    from vctrade.status import Registry

# Key types and the default clock skew, spelled out so that building the CLI imports no library module.
KEY_TYPES = ("Ed25519", "P-256", "P-384", "P-521", "secp256k1")
DEFAULT_SKEW_SECONDS = 300

class _App(typer.Typer):
    """The command group; the one place where library errors become a one-line message and an exit code.

    Run as the ``vctrade`` program (the console script or ``python -m vctrade``),
    it ends the process itself once the command is done and its output flushed:
    the interpreter's teardown (every module and object freed, one by one) adds
    15-20 ms to every command, a third of a short one's start-up. Called from
    another program it raises :class:`SystemExit` as Typer does.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._run(*args, **kwargs)
        except SystemExit as exc:
            broken = _reader_gone()
            if not _is_the_program():
                if broken:
                    _quiet_stdout()
                    raise SystemExit(BROKEN_PIPE) from None
                raise
            code = exc.code
            if code is not None and not isinstance(code, int):
                print(code, file=sys.stderr)
                code = 1
            try:
                sys.stdout.flush()
            except BrokenPipeError:  # `vctrade show x.json | head -1`: the reader has what it wanted
                broken = True
            if broken:
                _quiet_stdout()
                code = BROKEN_PIPE
            try:
                sys.stderr.flush()
            except OSError:
                pass
            os._exit(code or 0)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        _stdout_at_start[0] = _stdout_identity()
        _passphrase_file[0] = None
        _plain_help_text()
        _flags_without_type()
        try:
            return super().__call__(*args, **kwargs)
        except BrokenPipeError:
            raise SystemExit(BROKEN_PIPE) from None
        except VctradeError as exc:
            if _state["verbose"]:
                traceback.print_exc()
            typer.echo(f"error: {exc}{_hint(exc.code)}", err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:  # a bug, not bad input: say so, keep it short unless -v  # noqa: BLE001
            if _state["verbose"]:
                traceback.print_exc()
            typer.echo(f"error: internal error: {type(exc).__name__}: {exc} (run with -v for details)", err=True)
            sys.exit(3)


# The exit status when the reader of stdout went away (`vctrade show x.json | head -1`): 128 + SIGPIPE, what a
# shell reports for a program a closed pipe stopped; never a verdict's 0 or 1, and no traceback.
BROKEN_PIPE = 141


def _stdout_identity() -> tuple[int, int] | None:
    try:
        status = os.fstat(1)
    except OSError:
        return None
    return status.st_dev, status.st_ino


_stdout_at_start: list[tuple[int, int] | None] = [None]  # what fd 1 was when the command started


def _reader_gone() -> bool:
    """Whether writing to stdout met a closed pipe: Typer then swaps stdout for a wrapper that ignores it, rich
    points it at /dev/null."""
    return type(sys.stdout).__name__ == "PacifyFlushWrapper" or _stdout_identity() != _stdout_at_start[0]


def _quiet_stdout() -> None:
    """Send what stdout still holds to /dev/null: nothing more to write, no BrokenPipeError at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno() if sys.__stdout__ else 1)
    except (OSError, ValueError):
        pass


def _plain_help_text() -> None:
    """Typer reads help text as rich markup with emoji codes (``did:key:z6Mk…`` became ``did🔑z6Mk…``): make it
    plain text. Done where help is formatted, so that only ``--help`` imports rich."""
    from typer import core

    if getattr(core, "_vctrade_plain_help", False) or not core.HAS_RICH:
        return
    setattr(core, "_vctrade_plain_help", True)  # noqa: B010 (once per process)
    for cls in (core.TyperCommand, core.TyperGroup):
        def format_help(self: Any, ctx: Any, formatter: Any, _original: Any = cls.format_help) -> None:
            from typer import rich_utils

            if getattr(rich_utils, "_vctrade_original_text", None) is None:
                original = rich_utils._make_rich_text

                def plain(*, text: str, style: str = "", markup_mode: Any) -> Any:
                    if markup_mode != "rich":
                        return original(text=text, style=style, markup_mode=markup_mode)
                    import inspect

                    from rich.text import Text

                    return rich_utils.highlighter(Text(inspect.cleandoc(text), style=style))

                setattr(rich_utils, "_vctrade_original_text", original)  # noqa: B010
                setattr(rich_utils, "_make_rich_text", plain)  # noqa: B010
            _original(self, ctx, formatter)

        setattr(cls, "format_help", format_help)  # noqa: B010


def _flags_without_type() -> None:
    """A flag takes no value, so its help shows no type (Typer 0.28 and later print ``--json <bool>``)."""
    from typer import core

    if getattr(core, "_vctrade_plain_flags", False):
        return
    setattr(core, "_vctrade_plain_flags", True)  # noqa: B010 (once per process)
    for name in ("make_metavar", "display_type_rich"):  # what Typer's help asks for an option's type, by version
        original = getattr(core.TyperOption, name, None)
        if original is None:
            continue

        def typeless(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            return "" if self.is_flag and not self.count else _original(self, *args, **kwargs)

        setattr(core.TyperOption, name, typeless)


# What to do about a library error, in this program's words: the library's messages name no command-line flag.
_HINTS = {"unknown_context": "add it with --context URL=FILE", "blocked_address": "allow it with --allow-private-hosts"}


def _hint(code: str) -> str:
    hint = _HINTS.get(code)
    return f" ({hint})" if hint else ""


def _is_the_program() -> bool:
    """Whether this process is the ``vctrade`` program itself (so ending it at once loses nothing of a caller's)."""
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    return name in ("vctrade", "vctrade.exe", "__main__.py") and threading.active_count() == 1


app = _App(
    name="vctrade",
    help="Verifiable credentials for customs trade: keys, DIDs, signing and verification.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
key_app = typer.Typer(help="Generate and inspect signing keys.", no_args_is_help=True)
did_app = typer.Typer(help="Create and resolve DIDs: did:key, did:web (a document to host), did:jwk.",
                      no_args_is_help=True)
app.add_typer(key_app, name="key")
app.add_typer(did_app, name="did")

_state = {"verbose": False}


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    _state["verbose"] = verbose


# -- helpers -----------------------------------------------------------------------------------


def _write_output(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":  # -o - is stdout
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(f"wrote {output}", err=True)


def _loader(contexts: list[str]) -> "DocumentLoader":
    from vctrade.jsonld import DocumentLoader, default_loader

    pairs = _pairs(contexts, "--context")
    return DocumentLoader(dict(pairs)) if pairs else default_loader()


def _parse_time(value: str | None, option: str) -> datetime | None:
    from vctrade.model import parse_datetime

    if value is None:
        return None
    try:
        return parse_datetime(value)
    except InvalidDocument:
        raise InputError(f"{option} takes a date-time with a timezone, e.g. 2030-01-01T00:00:00Z; got {value!r}") from None


def _pairs(specs: list[str], option: str) -> tuple[tuple[str, str], ...]:
    """Parse repeated ``URL=PATH`` options."""
    pairs = []
    for spec in specs:
        url, sep, file = spec.partition("=")
        if not sep or not url or not file:
            raise InputError(f"{option} takes URL=FILE, got {spec!r}")
        pairs.append((url, file))
    return tuple(pairs)


def _signing_method(key: "Key", did: str | None, allow_private_hosts: bool = False, timeout: float = 10.0,
                    did_documents: "list[Path] | tuple[Path, ...]" = ()) -> str:
    """The verification method to sign with: the key's did:key, or the method of ``did`` that holds the key.

    ``did_documents`` (--did-document) are used instead of resolving their DIDs, so an authority can sign before its
    did:web document is online; without ``did``, the DID is the one of the document that lists the key.
    """
    if did is None and not did_documents:
        return key.did_key_verification_method
    from vctrade.did import FetchPolicy, StaticResolver, method_for_key, network_resolver
    from vctrade.errors import SigningError

    policy = FetchPolicy(allow_private_hosts=allow_private_hosts, timeout=timeout)
    resolver = network_resolver(policy)
    if not did_documents:
        return method_for_key(did or "", key, resolver)
    from vctrade._batch import read_json_object

    documents = [read_json_object(path) for path in did_documents]
    resolver = StaticResolver(documents, resolver.methods)
    if did is not None:
        return method_for_key(did, key, resolver)
    dids = [document.get("id") for document in documents]
    for candidate in dids:
        try:
            return method_for_key(str(candidate), key, resolver)
        except SigningError:
            continue
    raise SigningError(f"no --did-document lists this key as an assertionMethod ({', '.join(map(str, dids))}); "
                       "add it (vctrade did web create --key …) or give the key that it lists")


_passphrases: dict[str, str] = {}  # read from a --passphrase-file or asked for, once per process
_passphrase_file: list[Path | None] = [None]  # this command's --passphrase-file


def _remember_passphrase_file(value: Optional[Path]) -> Optional[Path]:
    _passphrase_file[0] = value
    return value


def _passphrase(given: str | None) -> str | None:
    """The passphrase: --passphrase, else the first line of --passphrase-file, else VCTRADE_KEY_PASSPHRASE."""
    path = _passphrase_file[0]
    if path is None:
        return given or os.environ.get("VCTRADE_KEY_PASSPHRASE")
    if given is not None:
        raise InputError("give --passphrase or --passphrase-file, not both")
    if str(path) not in _passphrases:
        from vctrade._batch import input_name, read_input

        try:
            data = read_input(Path(path))
        except FileNotFoundError:
            raise InputError(f"passphrase file not found: {path}") from None
        except OSError as exc:
            raise InputError(f"cannot read the passphrase file {input_name(path)}: {exc.strerror}") from None
        secret = data.decode("utf-8", "replace").splitlines()[0] if data.strip() else ""
        if not secret:
            raise InputError(f"{input_name(path)} holds no passphrase (its first line is empty)")
        _passphrases[str(path)] = secret
    return _passphrases[str(path)]


def _load_key(path: Path, passphrase: str | None) -> "Key":
    """A key file (- for stdin); an encrypted one is opened with the passphrase given, or asked for on a terminal.
    A key URI (``pkcs11:token=…;object=…``) opens the key in its token (its PIN comes from the environment)."""
    from vctrade._batch import input_name, is_stdin, read_input
    from vctrade._keybackend import is_key_uri
    from vctrade._keys import Key, is_encrypted_key
    from vctrade.errors import InvalidKey

    if is_key_uri(str(path)):
        return Key.load(str(path))
    name = input_name(path)
    try:
        data = read_input(path)
    except FileNotFoundError:
        raise InvalidKey(f"key file not found: {path}") from None
    except IsADirectoryError:
        raise InvalidKey(f"{path} is a folder, not a key file") from None
    except OSError as exc:
        raise InvalidKey(f"cannot read key file {name}: {exc.strerror}") from None
    secret = _passphrase(passphrase)
    if secret is None and is_encrypted_key(data):
        if not sys.stdin.isatty() or is_stdin(path):
            raise InvalidKey(f"{name} is encrypted: give its passphrase with --passphrase-file FILE (or --passphrase, "
                             "or VCTRADE_KEY_PASSPHRASE)")
        key_name = f"key:{name}"
        if key_name not in _passphrases:
            _passphrases[key_name] = typer.prompt(f"Passphrase for {name}", hide_input=True, err=True)
        secret = _passphrases[key_name]
    return Key.parse(data, secret, name=name)


def _new_passphrase() -> str | None:
    """Ask for the passphrase of a new key, twice; empty: none (the key is written unencrypted, with a warning)."""
    for _ in range(3):
        first = typer.prompt("Passphrase to encrypt the key (empty for none)", default="", show_default=False,
                             hide_input=True, err=True)
        if not first:
            typer.echo("warning: no passphrase: the key is written unencrypted, and anyone who can read the file can "
                       "sign with it", err=True)
            return None
        again = typer.prompt("The same passphrase again", default="", show_default=False, hide_input=True, err=True)
        if again == first:
            return str(first)
        typer.echo("the two passphrases differ; once more", err=True)
    raise InputError("the passphrases differed three times; no key written")


ContextOption = Annotated[
    list[str],
    typer.Option("--context", help="Add a JSON-LD context: URL=FILE (never fetched from the network)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
# What `verify` and `render` both take to verify a document.
NowOption = Annotated[Optional[str], typer.Option(help="Verify as of this date-time (default: now).")]
SkewOption = Annotated[int, typer.Option(help="Allowed clock skew in seconds.")]
ChallengeOption = Annotated[Optional[str], typer.Option(
    "--challenge", "--nonce", help="The challenge (SD-JWT key binding: nonce) a presentation must carry.")]
DomainOption = Annotated[Optional[str], typer.Option(
    "--domain", "--audience", help="The domain (SD-JWT key binding: audience) a presentation must carry.")]
PolicyOption = Annotated[
    list[Path], typer.Option("--policy", help="A trust policy (TOML); several combine, every rule must pass.")]
OutputOption = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
PrivateHostsOption = Annotated[
    bool, typer.Option("--allow-private-hosts", help="Allow fetching from private, loopback or link-local addresses.")
]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Network timeout in seconds (did:web, status lists).")]
DidOption = Annotated[
    Optional[str], typer.Option("--did", help="Sign as this DID (e.g. did:web:cbp.example); its document must list the key.")
]
PassphraseOption = Annotated[
    Optional[str], typer.Option("--passphrase", help="Passphrase of an encrypted key (or VCTRADE_KEY_PASSPHRASE).")
]
# Remembered when parsed, for _passphrase (so each command only declares it).
PassphraseFileOption = Annotated[
    Optional[Path], typer.Option("--passphrase-file", callback=_remember_passphrase_file,
                                 help="A file whose first line is the key's passphrase (- for stdin).")
]
DidDocumentOption = Annotated[
    list[Path],
    typer.Option("--did-document", help="The signer's DID document (e.g. did.json from `vctrade did web create`): used "
                                        "instead of resolving the DID, so you can sign before the site is live."),
]


RegistryOption = Annotated[
    Optional[str],
    typer.Option("--registry", help="The registry: an SQLite file (default: $VCTRADE_HOME/registry.sqlite or the user "
                                    "data dir) or a PostgreSQL database, postgresql://user@host/db (vctrade[postgres])."),
]
ReasonOption = Annotated[Optional[str], typer.Option("--reason", help="Why (kept in the audit log).")]


def _registry(location: str | None) -> "Registry":
    from vctrade.status import Registry

    return Registry(location)


# -- key -----------------------------------------------------------------------------------------


@key_app.command("generate")
def key_generate(
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write the private JWK (mode 0600; - for stdout).")] = None,
    key_type: Annotated[str, typer.Option("--type", "-t", help=f"Key type: {', '.join(KEY_TYPES)}.")] = "ed25519",
    pkcs11: Annotated[Optional[str], typer.Option(
        "--pkcs11", help="Generate the key inside this PKCS#11 token instead (a URI: 'pkcs11:token=CBP;object=cbp-2026'; "
                         "module from VCTRADE_PKCS11_MODULE, PIN from VCTRADE_PKCS11_PIN_FILE or VCTRADE_PKCS11_PIN).")] = None,
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
    no_passphrase: Annotated[bool, typer.Option(
        "--no-passphrase", help="Write the key unencrypted without asking (on a terminal a passphrase is asked for).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Generate a key pair, save it as a JWK file and print its did:key.

    On a terminal it asks for a passphrase to encrypt the key with (empty: none); else it takes --passphrase-file,
    --passphrase or VCTRADE_KEY_PASSPHRASE, or writes the key unencrypted. With --pkcs11 the key is made inside the
    token (its private half never leaves it): use the URI wherever a key file goes.
    """
    from vctrade._keys import Key, normalize_key_type

    if pkcs11 is not None:
        _generate_in_token(pkcs11, key_type, output, as_json, passphrase is not None or passphrase_file is not None
                           or no_passphrase)
        return
    if output is None:
        raise InputError("say where to write the key: --output FILE (or --pkcs11 URI to make it in a token)")
    key = Key.generate(normalize_key_type(key_type))
    if no_passphrase and (passphrase is not None or passphrase_file is not None):
        raise InputError("--no-passphrase and a passphrase: choose one")
    secret = None if no_passphrase else _passphrase(passphrase)
    if secret is None and not no_passphrase and sys.stdin.isatty():
        secret = _new_passphrase()
    to_stdout = str(output) == "-"
    if to_stdout:
        if as_json:
            raise InputError("-o - writes the key to stdout: --json cannot go there too")
        sys.stdout.write(key.export(secret))
        typer.echo(f"{key.key_type} key written to stdout; its DID: {key.did}", err=True)
        return
    key.save(output, secret)
    if as_json:
        _write_output(json.dumps({"file": str(output), "type": key.key_type, "did": key.did, "encrypted": secret is not None,
                                  "verificationMethod": key.did_key_verification_method}), None)
    else:
        typer.echo(f"wrote {output} ({key.key_type}{', encrypted' if secret is not None else ''})", err=True)
        typer.echo(key.did)


def _generate_in_token(uri: str, key_type: str, output: Path | None, as_json: bool, passphrase: bool) -> None:
    from vctrade._keybackend import is_key_uri
    from vctrade._keys import Key

    if output is not None or passphrase:
        raise InputError("--pkcs11 makes the key inside the token: no --output or passphrase (the token's PIN comes "
                         "from VCTRADE_PKCS11_PIN_FILE or VCTRADE_PKCS11_PIN)")
    if not is_key_uri(uri):
        raise InputError(f"--pkcs11 takes a pkcs11: URI (like 'pkcs11:token=CBP;object=cbp-2026'), not {uri!r}")
    key = Key.generate_in(uri, key_type)
    if as_json:
        _write_output(json.dumps({"uri": uri, "type": key.key_type, "did": key.did,
                                  "verificationMethod": key.did_key_verification_method}), None)
    else:
        typer.echo(f"generated the {key.key_type} key {uri} inside its token", err=True)
        typer.echo(key.did)


@key_app.command("show")
def key_show(
    path: Annotated[Path, typer.Argument(help="A key file (JWK, encrypted JWK, Multikey JSON or PEM).")],
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jwk, multikey or pem (public parts only).")] = "jwk",
) -> None:
    """Print a key's public parts and its did:key."""
    key = _load_key(path, passphrase)
    if fmt == "pem":
        _write_output(key.to_pem().decode("ascii"), None)
        return
    if fmt not in ("jwk", "multikey"):
        raise InputError(f"--format must be jwk, multikey or pem, not {fmt!r}")
    public: dict[str, Any] = (
        {"type": "Multikey", "publicKeyMultibase": key.public_multibase} if fmt == "multikey" else key.to_jwk()
    )
    _write_output(json.dumps({"type": key.key_type, "did": key.did, "publicKey": public}, indent=2), None)


# -- did -----------------------------------------------------------------------------------------


@did_app.command("resolve")
def did_resolve(
    did: Annotated[str, typer.Argument(help="The DID to resolve, e.g. did:key:z6Mk…, did:web:cbp.example")],
    as_json: JsonOption = False,
    allow_private_hosts: PrivateHostsOption = False,
    timeout: TimeoutOption = 10.0,
) -> None:
    """Resolve a DID and print its DID document (did:key, did:jwk, did:web)."""
    from vctrade.did import FetchPolicy, network_resolver

    policy = FetchPolicy(allow_private_hosts=allow_private_hosts, timeout=timeout)
    document = network_resolver(policy).resolve(did).to_dict()
    if as_json:
        _write_output(json.dumps(document), None)
        return
    _write_output(json.dumps(document, indent=2), None)


web_app = typer.Typer(help="Create did:web documents to host on your own HTTPS site.", no_args_is_help=True)
jwk_app = typer.Typer(help="Create did:jwk identifiers (no hosting, no network).", no_args_is_help=True)
did_app.add_typer(web_app, name="web")
did_app.add_typer(jwk_app, name="jwk")


@web_app.command("create")
def did_web_create(
    domain: Annotated[str, typer.Option("--domain", help="The host, optionally with :port (trade.example:8443).")],
    key_paths: Annotated[list[Path], typer.Option("--key", "-k", help="A key to list; repeat for rotation (newest first).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The site folder to write the document into.")],
    path: Annotated[Optional[str], typer.Option("--path", help="A DID path such as customs:aeo.")] = None,
    previous_path: Annotated[Optional[Path], typer.Option(
        "--from", help="The DID's current did.json: keys listed there keep their ids (default: the file being replaced).",
    )] = None,
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Write <site>/.well-known/did.json (or <site>/<path>/did.json) and print the did:web.

    Each key's id is did#<its publicKeyMultibase>, or the id it already has in the current document, so credentials
    signed with a key keep verifying while it stays listed, in any order.
    """
    from vctrade._batch import read_json_object
    from vctrade.did import create_did_web_document, did_to_url, did_web, document_path, write_did_document

    did = did_web(domain, path)
    target = output / document_path(did)
    if previous_path is None and target.is_file():
        previous_path = target  # rewriting a published document is a rotation: keep the ids it gave
    previous = read_json_object(previous_path) if previous_path is not None else None
    document = create_did_web_document(did, [_load_key(p, passphrase).public() for p in key_paths], previous=previous)
    try:
        write_did_document(output, document)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}") from None
    if previous_path is not None:
        typer.echo(f"kept the key ids of {previous_path}", err=True)
    typer.echo(f"wrote {target}; host it at {did_to_url(did)}", err=True)
    typer.echo(did)


@jwk_app.command("create")
def did_jwk_create(
    key_path: Annotated[Path, typer.Option("--key", "-k", help="The key whose public JWK becomes the DID.")],
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Print the did:jwk of a key."""
    from vctrade.did import did_jwk

    typer.echo(did_jwk(_load_key(key_path, passphrase)))


# -- sign / verify -------------------------------------------------------------------------------


@app.command("sign")
def sign_command(
    path: Annotated[Path, typer.Argument(help="The unsigned (or already signed) credential, JSON.")],
    key_path: Annotated[Path, typer.Option("--key", "-k", help="The signing key file.")],
    suite: Annotated[
        Optional[str],
        typer.Option(help="eddsa-rdfc-2022, eddsa-jcs-2022, ecdsa-rdfc-2019, ecdsa-jcs-2019, ecdsa-sd-2023 or "
                          "Ed25519Signature2020."),
    ] = None,
    mandatory: Annotated[
        list[str], typer.Option("--mandatory", help="ecdsa-sd-2023: a JSON pointer the holder must always disclose "
                                                    "(repeat).")
    ] = [],  # noqa: B006
    verification_method: Annotated[
        Optional[str], typer.Option("--verification-method", help="The DID URL of the key (default: its did:key).")
    ] = None,
    previous_proof: Annotated[
        Optional[list[str]], typer.Option("--previous-proof", help="Chain this proof to the proof with this id.")
    ] = None,
    proof_id: Annotated[Optional[str], typer.Option("--proof-id", help="An id for the new proof.")] = None,
    expires: Annotated[Optional[str], typer.Option(help="When the proof expires (date-time).")] = None,
    created: Annotated[Optional[str], typer.Option(help="The proof's created time (default: now).")] = None,
    did: DidOption = None,
    did_documents: DidDocumentOption = [],  # noqa: B006 (typer reads the default; never mutated)
    allow_private_hosts: PrivateHostsOption = False,
    timeout: TimeoutOption = 10.0,
    fmt: Annotated[
        str, typer.Option("--format", help="di (Data Integrity proof), jose (vc+jwt), sd-jwt (vc+sd-jwt), jwt-1.1 or cose.")
    ] = "di",
    disclosable: Annotated[
        list[str], typer.Option("--disclosable", help="sd-jwt: a JSON pointer the holder may hide (repeat).")
    ] = [],  # noqa: B006
    holder_key: Annotated[
        Optional[Path], typer.Option("--holder-key", help="sd-jwt: the holder's key (public part) for key binding.")
    ] = None,
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
    contexts: ContextOption = [],  # noqa: B006 (typer reads the default; never mutated)
    output: OutputOption = None,
) -> None:
    """Secure a credential: a Data Integrity proof (a proof set or chain if it has one), or JOSE / SD-JWT / COSE.

    A credential's first proof goes through the issuance path (its type's schema and rules are checked);
    a proof added to a signed credential makes a proof set, or a chain with --previous-proof.
    """
    from vctrade import issue
    from vctrade._batch import read_json_object
    from vctrade.di import sign

    if fmt not in ("di", "jose", "sd-jwt", "jwt-1.1", "cose"):
        raise InputError(f"--format must be di, jose, sd-jwt, jwt-1.1 or cose, not {fmt!r}")
    if fmt == "sd-jwt" and not disclosable:
        raise InputError("--format sd-jwt needs at least one --disclosable JSON pointer")
    if fmt != "sd-jwt" and (disclosable or holder_key):
        raise InputError("--disclosable and --holder-key are for --format sd-jwt")
    if fmt != "di" and (suite or expires):
        raise InputError("--suite and --expires are for --format di")
    if mandatory and suite != "ecdsa-sd-2023":
        raise InputError("--mandatory is for --suite ecdsa-sd-2023")
    chosen: Any = suite
    if suite == "ecdsa-sd-2023":
        from vctrade.di import EcdsaSd2023

        chosen = EcdsaSd2023(mandatory)
    credential = read_json_object(path)
    key = _load_key(key_path, passphrase)
    if (did is not None or did_documents) and verification_method is not None:
        raise InputError("give --did (or --did-document) or --verification-method, not both")
    verification_method = verification_method or _signing_method(key, did, allow_private_hosts, timeout, did_documents)
    if fmt != "di" and (previous_proof or proof_id):
        raise InputError("--previous-proof and --proof-id are for --format di")
    loader = _loader(contexts)
    if "proof" not in credential and not previous_proof and not proof_id:
        holder = _load_key(holder_key, passphrase).public() if holder_key else None
        issued = issue(credential, key, format=fmt, suite=chosen, verification_method=verification_method,
                       loader=loader, created=_parse_time(created, "--created"),
                       expires=_parse_time(expires, "--expires"), disclosable=disclosable, holder_key=holder)
        secured = issued.secured
        _write_output(secured if isinstance(secured, str) else json.dumps(secured, indent=2), output)
        return
    if fmt != "di":
        raise InputError("a signed credential gets another Data Integrity proof (--format di); "
                         "JOSE, SD-JWT and COSE secure an unsigned credential")
    previous: str | list[str] | None = None
    if previous_proof:
        previous = previous_proof[0] if len(previous_proof) == 1 else list(previous_proof)
    signed = sign(credential, key, suite=chosen, verification_method=verification_method, previous_proof=previous,
                  proof_id=proof_id, created=_parse_time(created, "--created"),
                  expires=_parse_time(expires, "--expires"), loader=loader)
    _write_output(json.dumps(signed, indent=2), output)


@app.command("derive")
def derive_command(
    path: Annotated[Path, typer.Argument(help="The credential with its ecdsa-sd-2023 base proof, JSON.")],
    reveal: Annotated[list[str], typer.Option("--reveal", help="A JSON pointer to disclose beyond the mandatory "
                                                               "claims (repeat); others stay hidden.")] = [],  # noqa: B006
    contexts: ContextOption = [],  # noqa: B006 (typer reads the default; never mutated)
    output: OutputOption = None,
) -> None:
    """Derive an ecdsa-sd-2023 credential that shows the mandatory claims and the --reveal ones, nothing else."""
    from vctrade._batch import read_json_object
    from vctrade.di import derive

    _write_output(json.dumps(derive(read_json_object(path), reveal, loader=_loader(contexts)), indent=2), output)


@app.command("disclose")
def disclose_command(
    path: Annotated[Path, typer.Argument(help="The SD-JWT the holder received.")],
    reveal: Annotated[list[str], typer.Option("--reveal", help="A JSON pointer to disclose (repeat); others stay hidden.")] = [],  # noqa: B006
    key_path: Annotated[Optional[Path], typer.Option("--key", "-k", help="The holder's key: adds a key-binding JWT.")] = None,
    nonce: Annotated[Optional[str], typer.Option(help="The verifier's nonce (challenge) for key binding.")] = None,
    audience: Annotated[Optional[str], typer.Option(help="The verifier (audience) for key binding.")] = None,
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
    output: OutputOption = None,
) -> None:
    """Share a subset of an SD-JWT's claims, bound to the verifier's nonce and audience with the holder's key."""
    from vctrade.jose import disclose

    from vctrade._batch import input_name, read_input

    try:
        text = read_input(path).decode("ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {input_name(path)} as an SD-JWT: {exc}") from None
    holder = _load_key(key_path, passphrase) if key_path else None
    _write_output(disclose(text, reveal, holder_key=holder, nonce=nonce, audience=audience), output)


_MARKS = {"passed": "ok  ", "failed": "FAIL", "error": "ERR "}


def _terminal() -> "Terminal":
    """How stdout prints: plain when piped; colour, wrapped lines and escaped control characters on a terminal."""
    from vctrade._terminal import Terminal

    if not _stdout_terminal:
        _stdout_terminal.append(Terminal(sys.stdout))
    return _stdout_terminal[0]


_stdout_terminal: list["Terminal"] = []


def _print_report(result: "VerificationResult", indent: str = "") -> None:
    width = max((len(c.name) for c in result.all_checks()), default=10)
    terminal = _terminal()
    for check in result.checks:
        hint = _hint(check.code) if check.status != "passed" else ""
        typer.echo(terminal.line(indent, _MARKS[check.status], f"  {check.name:<{width}}  {check.message}{hint}",
                                 hang=len(indent) + 4 + 2 + width + 2))
    for index, nested in enumerate(result.nested):
        if nested.document_type in ("policy", "workflow"):
            typer.echo(terminal.text(f"{indent}  {nested.document_type}: {nested.id}:"))
            _print_report(nested, indent + "    ")
            continue
        label = terminal.text(f"{indent}  {nested.document_type} {index} ({nested.id or 'no id'})")
        if nested.verified:  # one line; a document that is not verified shows every check
            typer.echo(f"{label}: verified ({len(nested.all_checks())} checks passed)")
            continue
        typer.echo(f"{label}: {'undecided' if nested.undecided else 'NOT VERIFIED'}:")
        _print_report(nested, indent + "    ")


def _verdict(result: "VerificationResult") -> str:
    """The final line: VERIFIED, UNDECIDED, or NOT VERIFIED naming the first failed check (and how many more)."""
    if result.verified:
        return "VERIFIED"
    if result.undecided:
        return "UNDECIDED"
    failed = _failures(result)
    if not failed:
        return "NOT VERIFIED"
    where, check = failed[0]
    more = f" (and {len(failed) - 1} more failed check{'s' if len(failed) > 2 else ''})" if len(failed) > 1 else ""
    return f"NOT VERIFIED: {where}{check.name} — {check.message}{more}"


def _failures(result: "VerificationResult", where: str = "") -> list[tuple[str, Any]]:
    """Every failed check of ``result`` and its nested results, in report order, with the document it is about."""
    found: list[tuple[str, Any]] = [(where, check) for check in result.checks if check.status == "failed"]
    for index, nested in enumerate(result.nested):
        label = f"{nested.document_type} {nested.id}" if nested.document_type in ("policy", "workflow") else (
            f"{nested.document_type} {index}")
        found.extend(_failures(nested, f"{where}{label}: "))
    return found


def _is_presentation(result: "VerificationResult") -> bool:
    """A presentation (or an SD-JWT with key binding): its challenge is what shows it is not a replay."""
    return result.document_type == "presentation" or any(c.name == "sd-jwt.key-binding" for c in result.checks)


_NO_CHALLENGE = ("warning: no --challenge given: whether this presentation is a replay was not checked (give the "
                 "challenge you sent the holder)")


def _exit_code(result: "VerificationResult") -> int:
    if result.verified:
        return 0
    return 3 if result.undecided else 1


@app.command("verify")
def verify_command(
    paths: Annotated[list[Path], typer.Argument(help="Credentials or presentations: files or folders (a batch).")],
    as_json: JsonOption = False,
    now: NowOption = None,
    skew: SkewOption = DEFAULT_SKEW_SECONDS,
    challenge: ChallengeOption = None,
    domain: DomainOption = None,
    policies: PolicyOption = [],  # noqa: B006
    beside: Annotated[
        list[Path], typer.Option("--with", help="A credential given beside the document (e.g. the certifier's AEO).")
    ] = [],  # noqa: B006
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Worker processes for a batch [default: 1].")] = None,
    dask: Annotated[Optional[str], typer.Option(
        "--dask", metavar="ADDRESS",
        help="Verify a batch on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786); needs vctrade[dask].",
    )] = None,
    did_documents: Annotated[
        list[Path],
        typer.Option("--did-document", help="A controller/DID document to use instead of resolving its id."),
    ] = [],  # noqa: B006
    contexts: ContextOption = [],  # noqa: B006
    status_files: Annotated[
        list[str],
        typer.Option("--status-file", help="Offline status: URL=PATH of a status list credential (others are undecided)."),
    ] = [],  # noqa: B006
    allow_private_hosts: Annotated[
        bool, typer.Option("--allow-private-hosts", help="Allow fetching from private, loopback or link-local addresses.")
    ] = False,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="Network timeout in seconds (did:web, status lists, the Dask scheduler).")] = 10.0,
) -> None:
    """Verify credentials or presentations; exit 0 all verified, 1 any not verified, 3 undecided."""
    from vctrade import StaticResolver, verify
    from vctrade._batch import (
        VerifyOptions,
        collect_files,
        read_document,
        read_json_object,
    )
    from vctrade._http import FetchPolicy

    if skew < 0:
        raise InputError("--skew must not be negative")
    if dask is not None and jobs is not None:
        raise InputError("--dask and --jobs: choose one (with --dask the cluster's workers verify the batch)")
    options = VerifyOptions(
        now=_parse_time(now, "--now"),
        skew=timedelta(seconds=skew),
        challenge=challenge,
        domain=domain,
        contexts=_pairs(contexts, "--context"),
        status_files=_pairs(status_files, "--status-file"),
        policy_files=tuple(str(p) for p in policies),
        with_files=tuple(str(p) for p in beside),
        fetch=FetchPolicy(allow_private_hosts=allow_private_hosts, timeout=timeout),
    )
    if len(paths) == 1 and not paths[0].is_dir():
        document = read_document(paths[0])
        resolver = options.resolver()
        if did_documents:
            resolver = StaticResolver([read_json_object(p) for p in did_documents], resolver.methods)
        result = verify(
            document, now=options.now, resolver=resolver, loader=options.loader(), skew=options.skew,
            challenge=challenge, domain=domain, status_source=options.status_source(),
            policy=options.policy(), with_credentials=options.beside(),
        )
        if as_json:  # the shape each document of a batch has (VerificationResult.report)
            _write_output(json.dumps(result.report(str(paths[0]))), None)
        else:
            _print_report(result)
            typer.echo(_terminal().verdict(_verdict(result)))
        if challenge is None and _is_presentation(result):
            typer.echo(_NO_CHALLENGE, err=True)
        raise typer.Exit(_exit_code(result))
    if did_documents:
        raise InputError("--did-document works with one file, not a batch")
    raise typer.Exit(_verify_batch(collect_files(paths), options, 1 if jobs is None else jobs, as_json, dask=dask,
                                  timeout=timeout))


def _verify_batch(files: list[Path], options: "VerifyOptions", jobs: int, as_json: bool, *, dask: str | None = None,
                  timeout: float = 10.0) -> int:
    """Verify many files (with ``dask``, on the Dask cluster whose scheduler is at that address); JSON Lines or one line
    per file, a progress bar on a terminal, a summary."""
    from vctrade._batch import DOCUMENT_SUFFIXES, verify_files

    if not files:
        raise InputError("no credentials or presentations found (looked for " + ", ".join(DOCUMENT_SUFFIXES) + ")")
    counts = {"verified": 0, "not verified": 0, "undecided": 0}
    reasons_seen: Counter[str] = Counter()  # which checks failed, over the batch
    presentations = 0
    show_progress = sys.stderr.isatty()
    # The batch first: its workers start before the progress bar's thread does (see vctrade._batch.Batch),
    # and they are at work while rich is imported.
    if dask is None:
        batch: "Batch | DaskBatch" = verify_files(files, options, jobs=jobs)
    else:
        from vctrade._dask import verify_files_at  # Dask, an optional extra, only when asked for

        batch = verify_files_at(dask, files, options, timeout=timeout)
    with batch as reports, _progress_bar(show_progress) as progress:
        task = progress.add_task("verifying", total=len(files))
        for report in reports:
            counts[report["outcome"]] += 1
            # Each check once per document, in check order (a set's order changes with every run's string hashing).
            reasons_seen.update(dict.fromkeys(c["name"] for c in _failed_checks(report)).keys())
            progress.advance(task)
            presentations += report.get("type") == "presentation"
            if as_json:
                _emit(progress, json.dumps(report))
                continue
            reasons = "; ".join(
                f"{c['name']}: {c['message']}" for c in _failed_checks(report)
            )
            mark = {"verified": "ok  ", "not verified": "FAIL", "undecided": "ERR "}[report["outcome"]]
            _emit(progress, _terminal().line("", mark, f"  {report['file']}" + (f"  — {reasons}" if reasons else ""),
                                             hang=6))
    if as_json:  # the batch's last JSON line: what the human summary says
        outcome = "not verified" if counts["not verified"] else "undecided" if counts["undecided"] else "verified"
        sys.stdout.write(json.dumps({"summary": {
            "outcome": outcome, "documents": len(files), "verified": counts["verified"],
            "notVerified": counts["not verified"], "undecided": counts["undecided"],
            "failedChecks": dict(reasons_seen.most_common())}}) + "\n")
    summary = [f"{len(files)} documents: {counts['verified']} verified, {counts['not verified']} not verified, "
               f"{counts['undecided']} undecided"]
    if reasons_seen:
        width = max(len(name) for name in reasons_seen)
        summary += [f"  {'check':<{width}}  documents"] + [
            f"  {name:<{width}}  {number}" for name, number in reasons_seen.most_common(10)]
    typer.echo("\n".join(summary), err=as_json)
    if presentations and options.challenge is None:
        typer.echo(_NO_CHALLENGE.replace("this presentation is", f"the {presentations} presentation(s) are"), err=True)
    if counts["not verified"]:
        return 1
    return 3 if counts["undecided"] else 0


def _progress_bar(show: bool) -> "Progress | _NoProgress":
    """A transient progress bar on stderr, or (off a terminal) a stand-in that draws nothing and imports no rich."""
    if not show:
        return _NoProgress()
    from rich.progress import Progress

    from vctrade._terminal import plain_console

    # Text printed above the bar as it is (no markup, no emoji: did:key: stays did:key:); stdout left alone, so
    # what goes there is the same with or without the bar.
    return Progress(console=plain_console(stderr=True), transient=True, redirect_stdout=False, redirect_stderr=False)


def _emit(progress: "Progress | _NoProgress", line: str) -> None:
    """One line of a batch's report on stdout; printed above the live progress bar when that is on the terminal too."""
    if isinstance(progress, _NoProgress) or not sys.stdout.isatty():
        typer.echo(line)
        return
    from rich.text import Text

    progress.console.print(Text.from_ansi(line), soft_wrap=True, emoji=False, markup=False, highlight=False)


class _NoProgress:
    """What the batch loop uses of a rich Progress, doing nothing (rich costs ~20 ms to import)."""

    def __enter__(self) -> "_NoProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: int) -> "TaskID":
        return cast("TaskID", 0)

    def advance(self, task: "TaskID") -> None:
        return None


def _failed_checks(report: dict[str, Any]) -> list[dict[str, str]]:
    found = [c for c in report["checks"] if c["status"] != "passed"]
    for nested in report.get("results", []):
        found.extend(_failed_checks(nested))
    return found


@app.command("present")
def present_command(
    paths: Annotated[list[Path], typer.Argument(help="The signed credentials to present.")],
    key_path: Annotated[Path, typer.Option("--key", "-k", help="The holder's key.")],
    challenge: Annotated[Optional[str], typer.Option(help="The verifier's challenge (a nonce).")] = None,
    domain: Annotated[Optional[str], typer.Option(help="The verifier's domain.")] = None,
    verification_method: Annotated[
        Optional[str], typer.Option("--verification-method", help="The holder's DID URL (default: its did:key).")
    ] = None,
    suite: Annotated[Optional[str], typer.Option(help="The cryptosuite (default: by key type).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="di (a signed JSON presentation) or jose (vp+jwt).")] = "di",
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
    output: OutputOption = None,
) -> None:
    """Wrap credentials in a presentation signed by the holder (proofPurpose authentication, or a vp+jwt)."""
    from vctrade._batch import read_document
    from vctrade._presentation import present, present_jwt

    credentials = [read_document(path) for path in paths]
    key = _load_key(key_path, passphrase)
    if fmt == "jose":
        token = present_jwt(credentials, key, challenge=challenge, domain=domain, verification_method=verification_method)
        _write_output(token, output)
        return
    if fmt != "di":
        raise InputError(f"--format must be di or jose, not {fmt!r}")
    if any(isinstance(c, str) for c in credentials):
        raise InputError("JWT credentials go in a vp+jwt: use --format jose")
    documents = [c for c in credentials if isinstance(c, dict)]
    presentation = present(documents, key, challenge=challenge, domain=domain,
                           verification_method=verification_method, suite=suite)
    _write_output(json.dumps(presentation, indent=2, ensure_ascii=False), output)


@app.command("bundle")
def bundle_command(
    paths: Annotated[list[Path], typer.Argument(help="The shipment's signed documents (JSON credentials).")],
    key_path: Annotated[Path, typer.Option("--key", "-k", help="The holder's key (the importer's).")],
    workflow: Annotated[str, typer.Option("--workflow", help="The workflow the documents belong to (e.g. steel-import).")],
    instance: Annotated[
        Optional[str], typer.Option("--instance", help="This shipment's workflow instance id (default: a new urn:uuid).")
    ] = None,
    challenge: Annotated[Optional[str], typer.Option(help="The verifier's challenge (a nonce).")] = None,
    domain: Annotated[Optional[str], typer.Option(help="The verifier's domain.")] = None,
    verification_method: Annotated[
        Optional[str], typer.Option("--verification-method", help="The holder's DID URL (default: its did:key).")
    ] = None,
    suite: Annotated[Optional[str], typer.Option(help="The cryptosuite (default: by key type).")] = None,
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
    output: OutputOption = None,
) -> None:
    """Bundle a shipment's documents into one traceable presentation, signed by the holder over challenge and domain."""
    from vctrade._batch import read_document
    from vctrade._presentation import present
    from vctrade.trade import get_workflow, trade_type_of

    definition = get_workflow(workflow)  # an unknown workflow is named before any file is read
    documents = []
    for path in paths:
        document = read_document(path)
        if not isinstance(document, dict):
            raise InputError(f"{path}: a bundle carries JSON credentials with a proof (a JWT goes in `present --format jose`)")
        documents.append(document)
    key = _load_key(key_path, passphrase)
    presentation = present(documents, key, challenge=challenge, domain=domain, verification_method=verification_method,
                           suite=suite, workflow=definition.definition, workflow_instance=instance)
    _write_output(json.dumps(presentation, indent=2, ensure_ascii=False), output)
    kinds = [(found.name if (found := trade_type_of(d)) else "other") for d in documents]
    missing = [name for name in definition.documents if name not in kinds]
    typer.echo(f"bundled {len(documents)} document(s) as a {workflow} shipment: {', '.join(kinds)}"
               + (f"; not included: {', '.join(missing)}" if missing else ""), err=True)


# -- trade credentials -----------------------------------------------------------------------------


@app.command("issue")
def issue_command(
    trade_type: Annotated[
        Optional[str], typer.Argument(help="The trade document type (aeo, origin, invoice, …); see --list.")
    ] = None,
    list_types: Annotated[bool, typer.Option("--list", help="List every registered document type, one line each.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="One JSON document: the id, status entries (and the credential unless -o); with --list, the types."
    )] = False,
    request_path: Annotated[Optional[Path], typer.Option("--from", help="The request: a YAML or JSON file (see fixtures/).")] = None,
    key_path: Annotated[Optional[Path], typer.Option("--key", "-k", help="The issuer's signing key.")] = None,
    valid_from: Annotated[Optional[str], typer.Option(help="Override validFrom (date-time).")] = None,
    valid_until: Annotated[Optional[str], typer.Option(help="Override validUntil (date-time).")] = None,
    suite: Annotated[Optional[str], typer.Option(help="The cryptosuite (default: by key type).")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="di (a Data Integrity proof), jose (vc+jwt) or sd-jwt (vc+sd-jwt).")
    ] = "di",
    disclosable: Annotated[
        list[str], typer.Option("--disclosable", help="sd-jwt: a JSON pointer the holder may hide (repeat).")
    ] = [],  # noqa: B006
    holder_key: Annotated[
        Optional[Path], typer.Option("--holder-key", help="sd-jwt: the holder's key (public part) for key binding.")
    ] = None,
    template: Annotated[Optional[str], typer.Option(
        "--template", help="Print a commented request to fill in instead of issuing: aeo ctpat, eu-aeo or mx-oea; "
                           "origin usmca or cafta-dr; the shipment documents steel-import.")] = None,
    did: DidOption = None,
    did_documents: DidDocumentOption = [],  # noqa: B006 (typer reads the default; never mutated)
    allow_private_hosts: PrivateHostsOption = False,
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
    registry: RegistryOption = None,
    output: OutputOption = None,
) -> None:
    """Issue a trade document (an AEO / C-TPAT certification, a certificate of origin, …) from a request.

    Start from a template, fill it in, then issue it:
    `vctrade issue aeo --template ctpat > ctpat.yaml`, then `vctrade issue aeo --from ctpat.yaml --key cbp.jwk`.
    """
    from vctrade import issue
    from vctrade.trade import get_trade_type, load_request, trade_types

    if list_types or trade_type is None:
        if trade_type is not None:
            raise InputError("--list takes no document type")
        registered = sorted(trade_types().items())
        if as_json:
            _write_output(json.dumps([{"name": name, "title": t.title, "type": t.type_names[0], "typeIri": t.type_iri,
                                       "aliases": list(t.aliases), "schema": t.schema.id,
                                       "requestFields": list(t.request_fields)} for name, t in registered]), None)
            return
        width = max(len(name) for name, _ in registered)
        for name, registered_type in registered:
            typer.echo(f"{name:<{width}}  {registered_type.title}")
        return
    get_trade_type(trade_type)  # an unknown type is named before any file is read
    if template is not None:
        from vctrade.trade._build import request_template

        if request_path is not None or key_path is not None:
            raise InputError("--template prints a request to fill in; issue it afterwards with --from and --key")
        _write_output(request_template(trade_type, template), output)
        return
    if request_path is None or key_path is None:
        raise InputError(f"vctrade issue {trade_type} needs --from REQUEST and --key KEY")
    if fmt not in ("di", "jose", "sd-jwt"):
        raise InputError(f"--format must be di, jose or sd-jwt, not {fmt!r}")
    if fmt == "sd-jwt" and not disclosable:
        raise InputError("--format sd-jwt needs at least one --disclosable JSON pointer")
    if fmt != "sd-jwt" and (disclosable or holder_key):
        raise InputError("--disclosable and --holder-key are for --format sd-jwt")
    request = _load_request(request_path)
    for name, value in {"validFrom": valid_from, "validUntil": valid_until}.items():
        if value is not None:
            request[name] = value
    key = _load_key(key_path, passphrase)
    method = _signing_method(key, did, allow_private_hosts, did_documents=did_documents)
    with _registry(registry) as reg:
        issued = issue(request, key, trade_type=trade_type, format=fmt, suite=suite, verification_method=method,
                       registry=reg, disclosable=disclosable,
                       holder_key=_load_key(holder_key, passphrase).public() if holder_key else None)
    secured = issued.secured
    _report_issued(issued.credential, secured, output, as_json)


def _load_request(path: Path) -> dict[str, Any]:
    """An issuance request (YAML or JSON) from a file, or from stdin for ``-``."""
    from vctrade._batch import is_stdin, read_input
    from vctrade.trade import load_request

    if not is_stdin(path):
        return load_request(path)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="vctrade-") as folder:  # the request reader reads files
        named = Path(folder) / "stdin.yaml"
        named.write_bytes(read_input(path))
        try:
            return load_request(named)
        except VctradeError as exc:  # name what the user gave, not the temporary file
            exc.message = exc.message.replace(str(named), "standard input")
            raise


def _report_issued(credential: dict[str, Any], secured: dict[str, Any] | str, output: Path | None, as_json: bool) -> None:
    """Write the issued credential (to -o, else stdout) and say what was issued: its id and each status list entry
    (purpose, list, index) — on stderr, or with --json as one JSON document on stdout (the credential in it unless
    it went to a file)."""
    text = secured if isinstance(secured, str) else json.dumps(secured, indent=2, ensure_ascii=False)
    entries = credential.get("credentialStatus", [])
    status = []
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, dict):
            index = entry.get("statusListIndex")
            status.append({"purpose": entry.get("statusPurpose"), "list": entry.get("statusListCredential"),
                           "index": int(index) if isinstance(index, str) and index.isdigit() else index})
    to_file = output is not None and str(output) != "-"
    if as_json:
        if to_file:
            _write_output(text, output)
        issuer = credential.get("issuer")
        summary = {"id": credential.get("id"), "type": credential.get("type"),
                   "issuer": issuer.get("id") if isinstance(issuer, dict) else issuer,
                   "file": str(output) if to_file else None, "status": status}
        if not to_file:
            summary["credential"] = secured
        _write_output(json.dumps(summary, ensure_ascii=False), None)
        return
    _write_output(text, output)
    named = credential.get("type", [])
    types = [t for t in (named if isinstance(named, list) else [named]) if t != "VerifiableCredential"]
    lines = [f"issued {credential.get('id', '(no id)')}" + (f" ({', '.join(map(str, types))})" if types else "")]
    width = max((len(str(entry["purpose"])) for entry in status), default=0)
    lines += [f"  status {str(entry['purpose']):<{width}}  {entry['list']} index {entry['index']}" for entry in status]
    if not status:
        lines.append("  no status list entry: it cannot be revoked or suspended (`vctrade status init` makes a list)")
    typer.echo("\n".join(lines), err=True)


@app.command("show")
def show_command(
    path: Annotated[Path, typer.Argument(help="A credential or presentation: JSON, JWT, SD-JWT or COSE.")],
    full: Annotated[bool, typer.Option("--full", help="A shipment (workflow presentation): every document in full.")] = False,
) -> None:
    """Show a credential readably: who certified what, goods, validity, proofs (does not verify)."""
    from vctrade._batch import read_document
    from vctrade._show import render, unwrap

    document = read_document(path)
    if isinstance(document, str):
        document, securing = unwrap(document)
        _write_output(_terminal().text(f"({securing}; its signature is not checked here)\n" + render(document)), None)
        return
    _write_output(_terminal().text(render(document, full=full)), None)  # a document's escapes shown, not obeyed


@app.command("render")
def render_command(
    path: Annotated[Path, typer.Argument(help="A credential, presentation or shipment bundle: JSON, JWT or SD-JWT.")],
    output: OutputOption = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Print to PDF with the system's Chromium (to -o FILE or a pipe).")] = False,
    verify_url: Annotated[Optional[str], typer.Option(
        "--verify-url", help="The verifier page for the QR code, with {id}: https://verify.example/c/{id}.")] = None,
    template: Annotated[Optional[Path], typer.Option(
        "--template", help="The HTML template a credential's renderMethod names (used only if its digest matches).")] = None,
    now: NowOption = None,
    skew: SkewOption = DEFAULT_SKEW_SECONDS,
    challenge: ChallengeOption = None,
    domain: DomainOption = None,
    policies: PolicyOption = [],  # noqa: B006
    beside: Annotated[
        list[Path], typer.Option("--with", help="A credential given beside the document (rendered after it).")
    ] = [],  # noqa: B006
    did_documents: Annotated[
        list[Path],
        typer.Option("--did-document", help="A controller/DID document to use instead of resolving its id."),
    ] = [],  # noqa: B006
    contexts: ContextOption = [],  # noqa: B006
    status_files: Annotated[
        list[str],
        typer.Option("--status-file", help="Offline status: URL=PATH of a status list credential (others are undecided)."),
    ] = [],  # noqa: B006
    allow_private_hosts: Annotated[
        bool, typer.Option("--allow-private-hosts", help="Allow fetching from private, loopback or link-local addresses.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Network timeout in seconds (did:web, status lists).")] = 10.0,
) -> None:
    """Render a credential or shipment bundle as a printable page (HTML, or PDF) with the verdict of verifying it now.

    The page is written even when the document does not verify (it then says so across every page); the exit code
    is verify's: 0 verified, 1 not verified, 3 undecided (or no Chromium for --pdf), 2 bad input.
    """
    from vctrade import StaticResolver, verify
    from vctrade._batch import VerifyOptions, read_document, read_json_object
    from vctrade._http import FetchPolicy
    from vctrade.render import check_verify_url, render_html, render_pdf, verdict_of

    from datetime import timezone

    if skew < 0:
        raise InputError("--skew must not be negative")
    if verify_url is not None:
        check_verify_url(verify_url)
    if pdf and (output is None or str(output) == "-") and sys.stdout.isatty():
        raise InputError("--pdf writes a binary file: give -o FILE.pdf (or pipe the output)")
    template_bytes = None
    if template is not None:
        try:
            template_bytes = template.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the template {template}: {exc.strerror}") from None
    options = VerifyOptions(
        now=_parse_time(now, "--now"), skew=timedelta(seconds=skew), challenge=challenge, domain=domain,
        contexts=_pairs(contexts, "--context"), status_files=_pairs(status_files, "--status-file"),
        policy_files=tuple(str(p) for p in policies), with_files=tuple(str(p) for p in beside),
        fetch=FetchPolicy(allow_private_hosts=allow_private_hosts, timeout=timeout),
    )
    document = read_document(path)
    resolver = options.resolver()
    if did_documents:
        resolver = StaticResolver([read_json_object(p) for p in did_documents], resolver.methods)
    given = options.beside()
    moment = options.now or datetime.now(timezone.utc)
    result = verify(
        document, now=moment, resolver=resolver, loader=options.loader(), skew=options.skew, challenge=challenge,
        domain=domain, status_source=options.status_source(), policy=options.policy(), with_credentials=given,
    )
    html = render_html(document, result, verify_url=verify_url, now=moment, template=template_bytes, beside=given)
    if pdf:
        data = render_pdf(html)
        if output is None or str(output) == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            try:
                output.write_bytes(data)
            except OSError as exc:
                raise InputError(f"cannot write {output}: {exc.strerror}") from None
            typer.echo(f"wrote {output}", err=True)
    else:
        _write_output(html, output)
    typer.echo(verdict_of(result, moment.isoformat()).headline, err=True)
    raise typer.Exit(_exit_code(result))


# -- status lists and the registry --------------------------------------------------------------------

status_app = typer.Typer(help="Revoke, suspend and reinstate credentials; publish status lists.", no_args_is_help=True)
app.add_typer(status_app, name="status")

@status_app.command("init")
def status_init(
    key_path: Annotated[Path, typer.Option("--key", "-k", help="The issuer's key; it signs the published list.")],
    url: Annotated[str, typer.Option("--url", help="Where the list will be published (https://…).")],
    purpose: Annotated[str, typer.Option("--purpose", help="revocation, suspension or message.")] = "revocation",
    size: Annotated[int, typer.Option("--size", help="Entries (at least 131072).")] = 131_072,
    did: DidOption = None,
    did_documents: DidDocumentOption = [],  # noqa: B006 (typer reads the default; never mutated)
    allow_private_hosts: PrivateHostsOption = False,
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
    registry: RegistryOption = None,
    status_size: Annotated[
        int, typer.Option("--status-size", help="Bits per entry of a message list (1-8); revocation/suspension: 1.")
    ] = 1,
    messages: Annotated[
        Optional[list[str]],
        typer.Option("--message", help="A message list's VALUE=TEXT (e.g. 0x1=suspended), once per value 0x0 … 2^size-1."),
    ] = None,
    references: Annotated[
        Optional[list[str]],
        typer.Option("--reference", help="A statusReference URL put in every entry (where the messages are explained)."),
    ] = None,
) -> None:
    """Create a status list for the key's issuer; credentials it issues from now on get an entry in it."""
    from vctrade.status._bitstring import parse_status_value, status_hex

    by_value: dict[int, str] = {}
    for option in messages or []:
        value_text, equals, text = option.partition("=")
        if not equals:
            raise InputError(f"--message takes VALUE=TEXT (e.g. 0x1=suspended pending review), got {option!r}")
        value = parse_status_value(value_text.strip())
        if value in by_value:
            raise InputError(f"--message gives {status_hex(value)} twice")
        by_value[value] = text
    key = _load_key(key_path, passphrase)
    method = _signing_method(key, did, allow_private_hosts, did_documents=did_documents)
    with _registry(registry) as reg:
        created = reg.create_list(url, method.split("#", 1)[0], purpose, key_path, size, verification_method=method,
                                  status_size=status_size, messages=by_value or None, reference=references or None)
        bits = f", {created.status_size} bits each" if created.messages is not None else ""
        typer.echo(f"{created.purpose} list {created.url} for {created.issuer} ({created.size} entries{bits}) in {reg.location}")


CredentialArgument = Annotated[
    str, typer.Argument(metavar="CREDENTIAL", help="The credential's id, or the credential's file (- for stdin).")
]


def _credential_id(given: str) -> str:
    """``given`` itself (a credential id), or the id of the credential in the file it names (``-``: stdin)."""
    from vctrade._batch import input_name, is_stdin, read_document

    if not is_stdin(given) and not Path(given).is_file():
        return given
    document = read_document(Path(given))
    if isinstance(document, str):  # a JWT, SD-JWT or COSE credential: the id inside (its signature is not needed)
        from vctrade._show import unwrap

        document, _ = unwrap(document)
    found = document.get("id")
    if not isinstance(found, str):
        raise InputError(f"{input_name(given)} holds a credential without an id: give the id it was recorded under")
    return found


def _change(action: str, credential_id: str, reason: str | None, registry: str | None) -> None:
    credential_id = _credential_id(credential_id)
    with _registry(registry) as reg:
        getattr(reg, action)(credential_id, reason)
        past = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated"}[action]
        typer.echo(f"{credential_id} {past}; run `vctrade status publish` to make it visible to verifiers")


@status_app.command("revoke")
def status_revoke(credential_id: CredentialArgument, reason: ReasonOption = None, registry: RegistryOption = None) -> None:
    """Revoke a credential (final)."""
    _change("revoke", credential_id, reason, registry)


@status_app.command("suspend")
def status_suspend(credential_id: CredentialArgument, reason: ReasonOption = None, registry: RegistryOption = None) -> None:
    """Suspend a credential (reinstate undoes it)."""
    _change("suspend", credential_id, reason, registry)


@status_app.command("reinstate")
def status_reinstate(credential_id: CredentialArgument, reason: ReasonOption = None, registry: RegistryOption = None) -> None:
    """Lift a suspension."""
    _change("reinstate", credential_id, reason, registry)


@status_app.command("publish")
def status_publish(
    output: Annotated[Path, typer.Option("--output", "-o", help="The site folder; a list goes to its URL's path.")],
    hours: Annotated[int, typer.Option("--valid-hours", help="validUntil / ttl of the published lists.")] = 24,
    passphrase: PassphraseOption = None,
    passphrase_file: PassphraseFileOption = None,
    registry: RegistryOption = None,
) -> None:
    """Sign every status list with its issuer's key and write it under the site folder (atomically)."""
    if hours <= 0:
        raise InputError("--valid-hours must be positive")

    from vctrade.di import sign

    def sign_list(unsigned: dict[str, Any], status_list: Any) -> dict[str, Any]:
        return sign(unsigned, _load_key(Path(status_list.key_file), passphrase),
                               verification_method=status_list.verification_method)

    with _registry(registry) as reg:
        for path in reg.publish(output, sign_list, lifetime=timedelta(hours=hours)):
            typer.echo(f"wrote {path}")


@status_app.command("show")
def status_show(credential_id: CredentialArgument, as_json: JsonOption = False, registry: RegistryOption = None) -> None:
    """A credential's current status and its history."""
    credential_id = _credential_id(credential_id)
    with _registry(registry) as reg:
        record = reg.credential_status(credential_id)
    if as_json:
        _write_output(json.dumps(record), None)
        return
    typer.echo(f"{record['id']}  {', '.join(t for t in record['types'] if t != 'VerifiableCredential')}")
    typer.echo(f"  issuer   {record['issuer']}\n  subject  {record['subject']}\n  issued   {record['issued']}")
    for purpose, entry in record["status"].items():
        if "value" in entry:  # a status message list
            state = f"{entry['value']} {entry['message']!r}"
        else:
            past = {"revocation": "REVOKED", "suspension": "SUSPENDED"}.get(purpose, "SET")
            state = past if entry["set"] else f"not {past.lower()}"
        typer.echo(f"  {purpose:<10} {state}  ({entry['list']} #{entry['index']})")
    for event in record["history"]:
        typer.echo(f"  {event['at']}  {event['action']:<9} by {event['actor']}" + (f": {event['reason']}" if event["reason"] else ""))


@status_app.command("set")
def status_set(
    credential_id: CredentialArgument,
    value: Annotated[str, typer.Option("--value", help="The new status value: 0x… (hex) or decimal, e.g. 0x1.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Which of the credential's lists (default: message).")] = "message",
    reason: ReasonOption = None,
    registry: RegistryOption = None,
) -> None:
    """Set a credential's value in a status list (a message list's 0x0 … 0xN; 0/1 for revocation and suspension)."""
    from vctrade.status._bitstring import parse_status_value, status_hex

    number = parse_status_value(value)
    credential_id = _credential_id(credential_id)
    with _registry(registry) as reg:
        reg.set_status(credential_id, purpose, number, reason)
        message = reg.credential_status(credential_id)["status"].get(purpose, {}).get("message")
    said = f" {message!r}" if message is not None else ""
    typer.echo(f"{credential_id} {purpose} status {status_hex(number)}{said}; run `vctrade status publish` to make it "
               "visible to verifiers")


@status_app.command("log")
def status_log(
    as_json: JsonOption = False,
    verify_chain: Annotated[
        bool, typer.Option("--verify", help="Check the log's hash chain; exit 1 naming the first bad entry.")
    ] = False,
    checkpoint: Annotated[
        Optional[str], typer.Option("--checkpoint", help="With --verify: SEQ:HASH of an entry noted earlier (its head).")
    ] = None,
    registry: RegistryOption = None,
) -> None:
    """The audit trail: who changed what, when, why (--verify: check that nobody rewrote it)."""
    if checkpoint is not None and not verify_chain:
        raise InputError("--checkpoint goes with --verify")
    with _registry(registry) as reg:
        if verify_chain:
            raise typer.Exit(_verify_log(reg, _parse_checkpoint(checkpoint), as_json))
        events = reg.log()
    if as_json:
        _write_output(json.dumps(events), None)
        return
    for event in events:
        subject = event["credential_id"] or event["list_url"] or ""
        typer.echo(f"{event['seq']:>5}  {event['at']}  {event['actor']:<8} {event['action']:<9} {subject}"
                   + (f"  ({event['reason']})" if event["reason"] else ""))


def _parse_checkpoint(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or int(seq) < 1 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()):
        raise InputError(f"--checkpoint takes SEQ:HASH (an entry's number and its 64-hex-digit hash), got {value!r}")
    return int(seq), digest.lower()


def _verify_log(reg: "Registry", checkpoint: tuple[int, str] | None, as_json: bool) -> int:
    """Report on the audit log's chain: 0 intact, 1 broken."""
    events = reg.log()  # read first: every entry in it is one that verify_log then checks
    broken = reg.verify_log(checkpoint)
    head = {"seq": events[-1]["seq"], "hash": events[-1]["hash"]} if events else None
    if as_json:
        _write_output(json.dumps({
            "intact": broken is None, "entries": len(events), "head": head,
            "firstBad": None if broken is None else {"seq": broken.seq, "problem": broken.problem},
        }), None)
    elif broken is None:
        typer.echo(f"audit log intact: {len(events)} entries"
                   + (f"; head {head['seq']}:{head['hash']} (note it to check against later)" if head else ""))
    else:
        typer.echo(f"audit log BROKEN at entry {broken.seq}: {broken.problem}")
    return 0 if broken is None else 1


@app.command("serve")
def serve_command(
    config_path: Annotated[Path, typer.Option("--config", "-c", help="The service configuration (TOML).")],
    host: Annotated[Optional[str], typer.Option(help="Bind address (default: the config's, else 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default: the config's, else 8080).")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", help="Worker processes serving the port (default: the config's, else 1).")] = None,
) -> None:
    """Run the issuer/verifier HTTP service (W3C VC API)."""
    from vctrade.service import ServiceConfig, serve

    if workers is not None and workers < 1:
        raise InputError("--workers must be at least 1")
    config = ServiceConfig.load(config_path)
    count = workers or config.workers
    scheme = "https" if config.tls_cert else "http"
    typer.echo(f"vctrade serving {len(config.issuers)} issuer(s) on {scheme}://{host or config.host}:{port or config.port}"
               + (f" with {count} workers" if count > 1 else ""), err=True)
    serve(config, host=host, port=port, workers=workers)  # uvicorn with the header deadline (header_timeout_seconds)


@app.command("hash-secret")
def hash_secret_command() -> None:
    """Hash an OAuth2 client secret for the service's [[auth.client]] secret_hash (the secret from stdin or a prompt)."""
    from vctrade.service._oauth import hash_client_secret

    if sys.stdin.isatty():
        secret = typer.prompt("client secret", hide_input=True, confirmation_prompt=True)
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
    typer.echo(hash_client_secret(secret))


# -- demo ------------------------------------------------------------------------------------------


@app.command("demo")
def demo_command(
    folder: Annotated[
        Optional[Path], typer.Option("--dir", help="Keep the demo's files here (default: a temporary folder).")
    ] = None,
) -> None:
    """Run the main job end to end: keys, signing with every suite, verification, tamper detection."""
    import tempfile

    from vctrade._demo import run_demo

    def run(target: Path) -> bool:
        typer.echo(f"vctrade demo in {target}")
        steps = run_demo(target)
        for step in steps:
            outcome = "verified" if step.verified else "rejected"
            typer.echo(f"  [{'ok' if step.ok else 'UNEXPECTED'}] {step.title}: {outcome} — {step.detail}")
        return all(step.ok for step in steps)

    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        ok = run(folder)
    else:
        with tempfile.TemporaryDirectory(prefix="vctrade-demo-") as tmp:
            ok = run(Path(tmp))
    typer.echo("demo finished: every step behaved as expected" if ok else "demo finished with unexpected results")
    raise typer.Exit(0 if ok else 1)


def main() -> None:  # pragma: no cover - the console script calls app directly
    """Entry point for ``python -m vctrade``."""
    app()
