"""The user's own page-type model: written by `discover train`, preferred by every classification.

It lives in the user's data folder (never over the shipped model). A user model fitted beside
another shipped model (the tool was upgraded since) is set aside: its features may no longer
mean what they meant, and `discover train` refits it.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path

from discover.errors import ModelError
from discover.pages.classify import MODEL_PATH, PageTypeModel, load_model

log = logging.getLogger(__name__)

#: Where `discover train` writes the user's model, under their data folder.
USER_MODEL = Path("models") / "page_type.json"


def user_model_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / USER_MODEL


def preferred_model(data_dir: str | Path | None) -> PageTypeModel:
    """The user's own model when there is a usable one, else the shipped model."""
    if data_dir:
        path = user_model_path(data_dir)
        if path.is_file():
            try:
                user = _load(str(path), path.stat().st_mtime_ns)
            except ModelError as exc:
                log.warning("ignoring your page-type model: %s", exc)
            else:
                if user.info.get("base_model_sha256") == shipped_digest():
                    return user
                log.warning("ignoring your page-type model at %s: it was trained beside an older shipped "
                            "model; run `discover train` again", path)
    return load_model()


@lru_cache(maxsize=4)
def _load(path: str, _mtime_ns: int) -> PageTypeModel:
    """Cached per file version: a retrained model is read again."""
    return PageTypeModel.load(path)


@lru_cache(maxsize=1)
def shipped_digest() -> str:
    """sha256 of the shipped model; a user's model records the one it was trained beside."""
    return hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()
