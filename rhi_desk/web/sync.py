"""Pages for the sync area (to be built)."""
from flask import Blueprint

bp = Blueprint("sync", __name__)
