"""The raw archive: every response body and saved file, content-addressed and gzip-compressed.

The archive and the `pages` table are the source of truth; everything else in
the warehouse can be rebuilt from them (`govreports reprocess`).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import uuid
from pathlib import Path

# gzip level 4 writes an HTML page in under half the CPU of the default 9 (which
# was a sixth of the crawl thread's time) for a 3% larger archive.
ARCHIVE_GZIP_LEVEL = 4


class RawArchive:
    """Content-addressed, gzip-compressed store of every response body.

    Bodies are written to `<root>/.incoming/<pid>-<random>.tmp` and moved into
    place with `os.replace`, so the archive tree only ever holds complete files;
    temp files left by a killed process are swept when the next archive opens.
    """

    INCOMING = ".incoming"

    def __init__(self, root: Path):
        self.root = Path(root)
        self.sweep_incoming()

    @staticmethod
    def path_for(sha256: str) -> str:
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.gz"

    def put(self, data: bytes) -> tuple[str, str]:
        """Store once; a kill mid-write leaves at most a temp file outside the tree (swept later)."""
        sha256 = hashlib.sha256(data).hexdigest()
        relative = self.path_for(sha256)
        target = self.root / relative
        if target.exists():
            return sha256, relative
        target.parent.mkdir(parents=True, exist_ok=True)
        incoming = self.root / self.INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        tmp = incoming / f"{os.getpid()}-{uuid.uuid4().hex}.tmp"
        try:
            tmp.write_bytes(gzip.compress(data, compresslevel=ARCHIVE_GZIP_LEVEL, mtime=0))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return sha256, relative

    def get(self, relative_path: str) -> bytes:
        return gzip.decompress((self.root / relative_path).read_bytes())

    def has(self, sha256: str) -> bool:
        return (self.root / self.path_for(sha256)).exists()

    def sweep_incoming(self) -> list[Path]:
        """Delete temp files whose writing process no longer exists (it was killed mid-write)."""
        removed = []
        incoming = self.root / self.INCOMING
        for tmp in incoming.glob("*.tmp") if incoming.is_dir() else ():
            pid_text = tmp.name.split("-", 1)[0]
            if not pid_text.isdigit() or not _process_alive(int(pid_text)):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
        return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
