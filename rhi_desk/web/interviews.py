"""Pages for the interviews area (to be built)."""
from flask import Blueprint

bp = Blueprint("interviews", __name__)
