from flask import Blueprint

bp = Blueprint("training", __name__, url_prefix="/training")
