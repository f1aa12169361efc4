"""Uploaded files: size-capped, type checked by content (not by name) and opened once (a PDF has a page, an
image its data), stored outside static under random names, served only by views that checked access first."""
import hashlib
import io
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app, send_file

from .i18n import gettext as _
from .inputs import clean_file_name

KINDS = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


class UploadRefused(ValueError):
    pass


@dataclass
class Stored:
    name: str  # random, what the database keeps
    original_name: str
    mime: str
    size: int
    sha256: str


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def max_bytes() -> int:
    return current_app.config.get("UPLOAD_MAX_BYTES", 5 * 1024 * 1024)


def check(file_storage, allowed=("pdf", "jpg", "png")) -> None:
    """Raise UploadRefused if `store` would refuse this file, without saving it; the file can still be
    read from its start afterwards (a form refused for other reasons reports its files' faults too)."""
    try:
        _read(file_storage, allowed)
    finally:
        if file_storage is not None and file_storage.filename:
            file_storage.stream.seek(0)


def store(file_storage, allowed=("pdf", "jpg", "png")) -> Stored:
    """Check and save an uploaded werkzeug FileStorage; raise UploadRefused with a message."""
    data, kind = _read(file_storage, allowed)
    name = secrets.token_hex(16) + "." + kind.extension
    target = _folder() / name
    tmp = target.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    return Stored(name=name, original_name=Path(file_storage.filename).name[:200], mime=kind.mime,
                  size=len(data), sha256=hashlib.sha256(data).hexdigest())


def _read(file_storage, allowed):
    if file_storage is None or not file_storage.filename:
        raise UploadRefused(_("No file was chosen."))
    data = file_storage.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise UploadRefused(_("The file %(name)s is larger than %(mb)s MB.", name=file_storage.filename,
                              mb=max_bytes() // (1024 * 1024)))
    if not data:
        raise UploadRefused(_("The file %(name)s is empty.", name=file_storage.filename))
    kind = filetype.guess(data)
    allowed_mimes = {KINDS[k] for k in allowed}
    if kind is None or kind.mime not in allowed_mimes:
        raise UploadRefused(_("The file %(name)s is not a real %(kinds)s file.", name=file_storage.filename,
                              kinds="/".join(k.upper() for k in allowed)))
    if not _opens(data, kind.mime):
        raise UploadRefused(_("The file %(name)s cannot be opened: it is damaged, or only starts like a %(kind)s. "
                              "Scan or save it again.", name=file_storage.filename, kind=kind.extension.upper()))
    return data, kind


def _opens(data: bytes, mime: str) -> bool:
    """Whether the file opens as what its first bytes say: a PDF header before a script, or a PNG signature
    before junk, passed for a scan, and the Kasi's "no scan on file" warning went quiet."""
    from PIL import Image
    try:
        if mime == "application/pdf":
            import pypdfium2 as pdfium
            pdf = pdfium.PdfDocument(data)
            try:
                return len(pdf) > 0
            finally:
                pdf.close()
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":  # verify() checks nothing of a JPEG: decode it small instead
                image.draft("L", (64, 64))
                image.load()
            else:
                image.verify()  # the structure and checksums, without decoding the pixels
        return True
    except Image.DecompressionBombError:
        return True  # it opens; how large an image may be drawn is the drawing's concern (training.evidence)
    except Exception:  # noqa: BLE001 (pdfium's and Pillow's errors for a broken file are many and unlisted)
        return False


@contextmanager
def stored(files, allowed=("pdf", "jpg", "png")):
    """Store every chosen file and yield the list; if anything fails, in here or in the block,
    the files are removed again so no orphan is left on disk."""
    kept: list[Stored] = []
    try:
        for file_storage in files:
            if file_storage is not None and file_storage.filename:
                kept.append(store(file_storage, allowed))
        yield kept
    except BaseException:
        for item in kept:
            discard(item.name)
        raise


def discard(name: str) -> None:
    """Remove a stored file whose database row was never committed."""
    (_folder() / Path(name).name).unlink(missing_ok=True)


def path(name: str) -> Path:
    """Where a stored file lives, for code that reads it (e.g. to render a preview)."""
    return _folder() / Path(name).name


def serve(name: str, download_name: str, mime: str):
    """Send a stored file. Call only after the view has checked the user may see it."""
    path = _folder() / Path(name).name
    return send_file(path, mimetype=mime, download_name=clean_file_name(download_name) or "berkas",
                     as_attachment=False, max_age=0)
