"""Pages for the register area (to be built)."""
from flask import Blueprint

bp = Blueprint("register", __name__)
