"""Bitstring Status List encoding: byte-exact with the spec, bit order, hostile encodings."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vctrade._encoding import b64url_encode, multibase_decode
from vctrade.errors import EncodingError
from vctrade.status import Bitstring, MIN_ENTRIES
from vctrade.status._check import _parse_entry

SPEC_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_empty_list_encodes_exactly_as_the_spec_example(load_json: Callable[[Path], Any], vectors: Path) -> None:
    assert Bitstring().encode() == SPEC_LIST
    example = load_json(vectors / "vc-bitstring-status-list/example-status-list-credential.json")
    assert example["credentialSubject"]["encodedList"] == SPEC_LIST


def test_spec_example_decodes_to_131072_zero_bits() -> None:
    bits = Bitstring.decode(SPEC_LIST)
    assert len(bits) == MIN_ENTRIES and not any(bits[i] for i in (0, 94567, MIN_ENTRIES - 1))


def test_index_zero_is_the_most_significant_bit() -> None:
    bits = Bitstring()
    bits[0] = True
    bits[9] = True
    decoded = gzip.decompress(multibase_decode(bits.encode()))
    assert decoded[0] == 0x80 and decoded[1] == 0x40
    round_trip = Bitstring.decode(bits.encode())
    assert round_trip[0] and round_trip[9] and not round_trip[1]
    bits[0] = False
    assert not Bitstring.decode(bits.encode())[0]
    with pytest.raises(IndexError):
        bits[MIN_ENTRIES] = True


def test_statuslist2021_bare_base64url_decodes() -> None:
    legacy = b64url_encode(gzip.compress(bytes(16384)))
    assert len(Bitstring.decode(legacy, multibase=False)) == MIN_ENTRIES


@pytest.mark.parametrize("encoded", ["", "uAAAA", "zabc", "u!!!", 42])
def test_malformed_encoded_lists_are_refused(encoded: object) -> None:
    with pytest.raises(EncodingError):
        Bitstring.decode(encoded)


def test_gzip_bomb_is_refused() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = compressor.compress(bytes(64 * 1024 * 1024)) + compressor.flush()  # 64 MiB of zeros, ~64 KB packed
    with pytest.raises(EncodingError, match="expands beyond"):
        Bitstring.decode("u" + b64url_encode(bomb))


@pytest.mark.parametrize("name", ["example-vc-simple-entries", "example-revocable-vc", "example-multiple-status-lists",
                                  "example-multiple-entries-single-list"])
def test_spec_example_entries_parse(name: str, load_json: Callable[[Path], Any], vectors: Path) -> None:
    document = load_json(vectors / "vc-bitstring-status-list" / f"{name}.json")
    entries = document["credentialStatus"]
    for entry in entries if isinstance(entries, list) else [entries]:
        parsed = _parse_entry(entry)
        assert parsed.index >= 0 and parsed.list_url.startswith("https://")
