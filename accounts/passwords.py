"""Password rules beyond Django's validators: 8 to 128 characters with an upper-case letter, a
lower-case letter and a digit. Listed in ``AUTH_PASSWORD_VALIDATORS`` so every path that sets a
password (register, change, reset, admin) applies them. Pure: no model imports."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 128  # long passphrases are fine (ASVS 6.2.9 asks for at least 64)


class ComplexityValidator:
    def validate(self, password: str, user: Any = None) -> None:
        problems = []
        if len(password) < MIN_LENGTH:
            problems.append(f"at least {MIN_LENGTH} characters")
        if len(password) > MAX_LENGTH:
            raise ValidationError(f"Use at most {MAX_LENGTH} characters.", code="password_too_long")
        if not any(ch.isupper() for ch in password):
            problems.append("an upper-case letter")
        if not any(ch.islower() for ch in password):
            problems.append("a lower-case letter")
        if not any(ch.isdigit() for ch in password):
            problems.append("a digit")
        if problems:
            raise ValidationError("The password needs " + ", ".join(problems) + ".", code="password_too_weak")

    def get_help_text(self) -> str:
        return f"{MIN_LENGTH} to {MAX_LENGTH} characters, with an upper-case letter, a lower-case letter and a digit."
