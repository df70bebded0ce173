"""Pages for the reports area (to be built)."""
from flask import Blueprint

bp = Blueprint("reports", __name__)
