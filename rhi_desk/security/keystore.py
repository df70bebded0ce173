"""The database key: held by the operating system's credential store where there is one (Windows
Credential Manager, macOS Keychain, the Secret Service on a Linux desktop, through ``keyring``), otherwise in
a key file readable only by this user and kept outside the database's folder (``platformdirs``).

One key per user account: the app and the command line open the user's own databases without a prompt,
while a copied file, a stolen disk image or a backup opened under another account is unreadable. Secrets
that used to sit in the database (the cookie-signing key, the private sync keys) are derived from or
sealed with this key, so they are never in the file in clear.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

SERVICE = "rhi-desk"
ACCOUNT = "database-key"
KEY_FILE = "database.key"
SEALED = "sealed:v1:"


class KeyUnavailable(Exception):
    """There is no key for this user here: the database was made under another account or computer."""


def key_dir() -> Path:
    """Where the key file lives: ``RHI_DESK_KEY_DIR``, else a ``keys`` folder in the user's config folder."""
    chosen = os.environ.get("RHI_DESK_KEY_DIR")
    if chosen:
        return Path(chosen)
    import platformdirs

    return Path(platformdirs.user_config_dir("rhi-desk", "rhi-desk")) / "keys"


def _keyring():
    """The OS credential store, or None where there is none (a server, a container, ``RHI_DESK_KEYRING=0``)."""
    if os.environ.get("RHI_DESK_KEYRING", "1") == "0":
        return None
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return None
    return keyring


def where() -> str:
    """A sentence naming where this user's key is kept (for the README's threat model and ``--help``)."""
    return "the operating system's credential store" if _keyring() else f"the key file {key_dir() / KEY_FILE}"


def database_key(*, create: bool) -> bytes | None:
    """This user's 32-byte database key; made on first use when ``create``, else None if there is none."""
    store = _keyring()
    if store is not None:
        try:
            held = store.get_password(SERVICE, ACCOUNT)
            if held:
                return bytes.fromhex(held)
            if create:
                key = secrets.token_bytes(32)
                store.set_password(SERVICE, ACCOUNT, key.hex())
                return key
            return None
        except Exception:  # a locked or broken keyring: fall back to the key file
            pass
    path = key_dir() / KEY_FILE
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made by another process a moment ago
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as out:
        out.write(key.hex())
    return key


def derive(key: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from the database key (HMAC-SHA256)."""
    return hmac.new(key, purpose.encode("utf-8"), hashlib.sha256).digest()


def seal(key: bytes, purpose: str, text: str) -> str:
    """``text`` encrypted and authenticated (XSalsa20-Poly1305) with a key derived for ``purpose``."""
    from nacl.secret import SecretBox

    return SEALED + base64.b64encode(SecretBox(derive(key, purpose)).encrypt(text.encode("utf-8"))).decode()


def is_sealed(value: str | None) -> bool:
    """True for a value written by :func:`seal`."""
    return bool(value) and value.startswith(SEALED)


def unseal(key: bytes, purpose: str, value: str) -> str:
    """The text :func:`seal` sealed (a value from before sealing is returned as it is)."""
    if not is_sealed(value):
        return value
    from nacl.secret import SecretBox

    return SecretBox(derive(key, purpose)).decrypt(base64.b64decode(value[len(SEALED):])).decode("utf-8")
