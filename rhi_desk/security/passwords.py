"""The password policy: long enough, not blank, not one of the passwords everyone tries first, not the username.

The short list below is the head of the published lists of most-used passwords (NCSC's "100,000 most
used", SecLists): the ones a person guessing at a lost laptop tries first. Matching ignores case,
spaces and a trailing run of digits or punctuation, so ``Password123!`` counts as ``password``.
"""
from __future__ import annotations

import re

MIN_LENGTH = 10

COMMON = frozenset("""
123456 123456789 12345678 1234567890 12345 1234567 qwerty password 111111 123123 abc123 qwerty123 1q2w3e4r
000000 iloveyou 1234 1q2w3e4r5t qwertyuiop 123321 654321 666666 987654321 7777777 112233 121212 555555
dragon monkey football baseball letmein shadow master sunshine princess welcome login admin administrator
passw0rd p@ssw0rd p@ssword password1 qwerty1 starwars trustno1 whatever freedom hello charlie donald
superman batman michael jennifer jordan hunter ranger buster soccer harley killer tigger mustang access
flower hottie loveme zaq1zaq1 zaq12wsx 1qaz2wsx qazwsx asdfgh asdfghjkl zxcvbnm zxcvbn azerty aaaaaa
changeme changeit default secret letmein123 welcome1 summer winter autumn spring january february
liverpool chelsea arsenal manchester london england everton tottenham
council socialworker social children child family families missing rhidesk rhi-desk returnhome
testpassword test1234 testing123 computer internet samsung google
""".split())


class PasswordRefused(ValueError):
    """The password breaks the policy; the message says what to choose instead."""


def _core(password: str) -> str:
    """The password lower-cased without spaces and without trailing digits or punctuation."""
    squeezed = re.sub(r"\s+", "", password.lower())
    return re.sub(r"[\d\W_]+$", "", squeezed) or squeezed


def check(password: str | None, username: str | None = None) -> None:
    """Raise PasswordRefused unless ``password`` is acceptable for the user called ``username``."""
    password = password or ""
    if not password.strip():
        raise PasswordRefused(f"Enter a password of at least {MIN_LENGTH} characters")
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(f"Enter a password of at least {MIN_LENGTH} characters")
    if len(set(password)) < 4:
        raise PasswordRefused("Choose a password that is not the same few characters repeated")
    lowered = re.sub(r"\s+", "", password.lower())
    if username and (username.strip().lower() in (lowered, _core(password))
                     or lowered in (username.strip().lower() * 3)):
        raise PasswordRefused("Choose a password that is not your username")
    if lowered in COMMON or _core(password) in COMMON:
        raise PasswordRefused("That password is one of the first anyone would guess. Choose a longer, "
                              "less common one: three or four random words work well")
