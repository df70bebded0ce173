"""Pages for the records area: import, data quality and exports (to be built)."""
from flask import Blueprint

bp = Blueprint("records", __name__)
