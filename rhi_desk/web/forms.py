"""What every form page shares: the GOV.UK date and time fields, and saving a posted form.

A view hands :func:`save` its form and the domain call; the domain's refusal (a ``RegisterError`` and its
kin, each a sentence naming the field it is about) is shown next to that question, and nothing is saved;
otherwise the user is told what was saved and taken on.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from flask import flash, redirect
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovPasswordInput, GovTextInput
from wtforms import DateField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, StopValidation

from rhi_desk import accounts
from rhi_desk.clock import parse_time

# ---------------------------------------------------------------------------------------------
# Fields: a GOV.UK date (day, month, year) and a time typed as 14:05


class GovDateField(DateField):
    """A day/month/year date whose error messages say what to do."""

    def __init__(self, label, *, required: str | None = None, invalid: str, **kwargs):
        super().__init__(label, widget=GovDateInput(), format="%d %m %Y", **kwargs)
        self.required_message = required
        self.invalid_message = invalid

    def process_formdata(self, valuelist):
        self.data = None
        # The widget shows back exactly three boxes, even when a form posted fewer.
        self.raw_data = (list(valuelist or []) + ["", "", ""])[:3]
        if not valuelist or not any((v or "").strip() for v in valuelist):
            return
        try:
            self.data = datetime.strptime(" ".join((v or "").strip() for v in valuelist), "%d %m %Y").date()
        except ValueError:
            raise ValueError(self.invalid_message) from None

    def pre_validate(self, form):
        if self.required_message and not self.process_errors and self.data is None:
            raise StopValidation(self.required_message)


class TimeField(StringField):
    """A time of day typed as 14:05 (or 2:05pm); ``data`` becomes 'HH:MM'."""

    def __init__(self, label, *, required: str | None, invalid: str, **kwargs):
        kwargs.setdefault("description", "Use the 24-hour clock, for example 14:05")
        super().__init__(label, widget=GovTextInput(), **kwargs)
        self.required_message = required
        self.invalid_message = invalid

    def pre_validate(self, form):
        text = (self.data or "").strip()
        if not text:
            if self.required_message:
                raise StopValidation(self.required_message)
            self.data = None
            return
        parsed = parse_time(text)
        if parsed is None:
            raise StopValidation(self.invalid_message)
        self.data = parsed


def moment(date_field, time_field) -> str | None:
    if date_field.data is None or not time_field.data:
        return None
    return f"{date_field.data.isoformat()} {time_field.data}"


def show_error(form, exc: Exception, fields: dict[str, str], default: str) -> None:
    """Put a domain error next to the question it is about (``fields`` maps domain → form names)."""
    name = fields.get(getattr(exc, "field", None) or "", default)
    getattr(form, name).errors = list(getattr(form, name).errors) + [str(exc)]


def new_password(label: str = "Password", required: str = "Enter a password", **kwargs) -> PasswordField:
    """A password someone chooses: at least accounts.MIN_PASSWORD_LENGTH characters (the rest of the rules,
    such as the list of common passwords, are accounts' own and come back as an AccountError)."""
    return PasswordField(label, widget=GovPasswordInput(), validators=[
        InputRequired(message=required),
        Length(min=accounts.MIN_PASSWORD_LENGTH,
               message=f"Enter a password of at least {accounts.MIN_PASSWORD_LENGTH} characters")], **kwargs)


def password_again(label: str = "Confirm password", required: str = "Enter the password again") -> PasswordField:
    """The same password typed a second time (the form's ``password`` field)."""
    return PasswordField(label, widget=GovPasswordInput(), validators=[
        InputRequired(message=required), EqualTo("password", message="Enter the same password twice")])


def save(form, action: Callable[[], object], *, errors: type[Exception] | tuple[type[Exception], ...],
         fields: dict[str, str], default: str, done: str, then: str | Callable[[], str]):
    """Save a valid posted ``form`` by calling ``action``: a redirect to ``then`` with ``done`` shown, or None.

    None means the page is shown again: the form was not posted or not valid, or ``action`` refused it with
    one of ``errors``, whose sentence is then shown next to its question (see :func:`show_error`).
    """
    if not form.validate_on_submit():
        return None
    try:
        action()
    except errors as exc:
        show_error(form, exc, fields, default)
        return None
    flash(done)
    return redirect(then() if callable(then) else then)
