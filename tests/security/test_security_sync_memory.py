"""A big file dropped in the inbox does not fill the memory: a junk file is refused from its first bytes,
and a file that looks like a real one is checked where it lies, never copied whole into memory."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap

import pytest

from rhi_desk.sync import fileformat
from tests.sync_support import Pair, forge

MB = 1024 * 1024
SIZE = 200 * MB

# Receives one small genuine file first (so every module and the schema are loaded), then the big one,
# and reports the process's peak memory before and after the big one.
CHILD = textwrap.dedent("""
    import json, resource, sys
    from rhi_desk.db import connect
    from rhi_desk.sync import fileformat, receive

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    db = connect(sys.argv[1])
    print(receive.receive_path(db, sys.argv[2]).message)
    before = peak_mb()
    try:
        receive.receive_path(db, sys.argv[3])
        reason = None
    except fileformat.SyncRefused as refusal:
        reason = refusal.reason
    print(json.dumps({"before": before, "after": peak_mb(), "reason": reason}))
""")


def _write_junk(path, size, start=b"", end=b""):
    with open(path, "wb") as out:
        out.write(start)
        left = size - len(start) - len(end)
        while left > 0:
            piece = os.urandom(min(MB, left))
            out.write(piece)
            left -= len(piece)
        out.write(end)


def _peak(pair, genuine, big):
    result = subprocess.run([sys.executable, "-c", CHILD, str(pair.hub), str(genuine), str(big)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return Pair(tmp_path_factory.mktemp("sync-memory"))


def test_a_200_mb_junk_file_is_refused_without_being_read(pair, tmp_path):
    junk = tmp_path / "junk.rhisync"
    _write_junk(junk, SIZE)
    genuine = forge(pair.field, pair.hub, tmp_path / "genuine.rhisync", sequence=1)
    measured = _peak(pair, genuine, junk)
    assert measured["reason"] == "not_sync_file"
    assert measured["after"] - measured["before"] < 32, measured  # megabytes; reading it would take 200+


def test_a_200_mb_file_with_a_real_label_is_never_copied_whole_into_memory(pair, tmp_path):
    genuine = forge(pair.field, pair.hub, tmp_path / "genuine.rhisync", sequence=2)
    data = genuine.read_bytes()
    manifest, at, _ = fileformat.parse_head(data[:fileformat.HEAD_BYTES], len(data))
    # The genuine file's label (from the enrolled field install, for this hub), then 200 MB of junk as its
    # "ciphertext" and a junk signature: it gets past every check of the label to the signature. The
    # signature's scalar is made small enough to be well-formed, so the check reads the whole file.
    label = data[:at - 8]
    body_len = SIZE - len(label) - 8 - fileformat.SIGNATURE_BYTES
    forged = tmp_path / "forged.rhisync"
    signature = os.urandom(fileformat.SIGNATURE_BYTES - 1) + b"\x00"
    _write_junk(forged, SIZE, label + struct.pack(">Q", body_len), signature)
    measured = _peak(pair, genuine, forged)
    assert measured["reason"] == "tampered"
    # The signature is checked over the file's own pages, mapped (the file cache): about one file's size at
    # most, where reading it into memory took three to four times it.
    assert measured["after"] - measured["before"] < 1.2 * SIZE / MB, measured
