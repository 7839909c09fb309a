"""Where ``hbtheory report`` writes, and the rules that keep it from deleting anything not its own.

* ``out`` is validated before any work (:func:`check_out`): a dangling symbolic link, an ancestor
  that is a file, a folder the user cannot write, or an existing folder that is not an earlier
  report are refused with a ``ValueError`` naming ``out``. A symbolic link to an earlier report is
  followed: the report it points to is replaced and the link is left alone.
* Every folder the report makes carries the marker file :data:`MARKER`, a small JSON document that
  lists the files and folders the report wrote there (written *first*, before any of them). Only
  those files are ever deleted; a folder is removed with ``rmdir``, which fails on anything else
  that is inside. A folder with a file the report did not write is never replaced.
* One run at a time per target: :func:`locked` holds an ``flock`` on ``.<name>.hbtheory-lock``
  beside the target (released by the kernel if the process dies). A second run gets a
  :class:`ReportBusyError` at once.
* The new report is written into a hidden sibling and moved into place with ``rename``; the old
  one is first renamed aside (to a freshly reserved name, never a fixed one that could belong to
  someone else). Hidden siblings left by a killed run (marker present, its process gone) are
  removed by the next run (:func:`clean_stale`).
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MARKER = ".hbtheory-report"
TOOL = "hbtheory report"
#: The marker text of reports written before the marker listed its files.
LEGACY_MARKER_TEXT = "written by hbtheory report\n"
_LEGACY_FILES = ("report.html", "report.md", "results.json")
_MAX_MARKER_BYTES = 1 << 20


class ReportBusyError(ValueError):
    """Another ``hbtheory report`` is writing the same ``out`` right now."""


@dataclass(frozen=True)
class Marker:
    """What a report folder's marker says: the files and sub-folders the report wrote there."""

    files: tuple[str, ...]
    dirs: tuple[str, ...]
    pid: int
    token: str

    def text(self) -> str:
        """The marker file's content."""
        return json.dumps({"tool": TOOL, "pid": self.pid, "token": self.token, "files": list(self.files),
                           "dirs": list(self.dirs)}, indent=1) + "\n"


def new_marker(files: list[str], dirs: list[str]) -> Marker:
    """A marker for a folder this process is about to write."""
    return Marker(tuple(files), tuple(dirs), os.getpid(), uuid.uuid4().hex)


def _safe_relative(name: object) -> bool:
    if not isinstance(name, str) or not name or "\\" in name:
        return False
    p = PurePosixPath(name)
    return not p.is_absolute() and all(part not in ("", ".", "..") for part in p.parts) and name != MARKER


def read_marker(folder: Path) -> Marker | None:
    """The marker of ``folder`` if it is an hbtheory report folder, else ``None`` (never raises on content).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = Path(tmp)
    ...     before = read_marker(folder)
    ...     _ = (folder / MARKER).write_text(new_marker(["report.html"], ["figures"]).text())
    ...     after = read_marker(folder)
    ...     _ = (folder / MARKER).write_text('{"tool": "hbtheory report", "files": ["../x"], "dirs": [], '
    ...                                      '"pid": 1, "token": ""}')
    ...     escaping = read_marker(folder)
    >>> before, after.files, after.dirs, escaping
    (None, ('report.html',), ('figures',), None)
    """
    path = folder / MARKER
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_MARKER_BYTES:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if text == LEGACY_MARKER_TEXT:
        # a report of an earlier version: its fixed files and the PNGs in figures/
        figures = folder / "figures"
        pngs = []
        if figures.is_dir() and not figures.is_symlink():
            pngs = [f"figures/{p.name}" for p in figures.iterdir() if p.suffix == ".png"]
        return Marker((*_LEGACY_FILES, *sorted(pngs)), ("figures",), 0, "")
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        return None
    files, dirs, pid, token = data.get("files"), data.get("dirs"), data.get("pid"), data.get("token")
    if not (isinstance(files, list) and isinstance(dirs, list) and isinstance(pid, int) and isinstance(token, str)):
        return None
    if not all(_safe_relative(f) for f in [*files, *dirs]):
        return None
    return Marker(tuple(files), tuple(dirs), pid, token)


def foreign_entries(folder: Path, marker: Marker) -> list[str]:
    """Entries of ``folder`` (relative paths) that the report did not write; symbolic links always count."""
    own_files = {*marker.files, MARKER}
    own_dirs = set(marker.dirs)
    foreign: list[str] = []
    for root, dirnames, filenames in os.walk(folder):  # does not follow symbolic links
        rel_root = PurePosixPath(Path(root).relative_to(folder).as_posix())
        for d in list(dirnames):
            rel = str(rel_root / d) if str(rel_root) != "." else d
            if Path(root, d).is_symlink() or rel not in own_dirs:
                foreign.append(rel)
                dirnames.remove(d)  # do not look inside a folder that is not ours
        for f in filenames:
            rel = str(rel_root / f) if str(rel_root) != "." else f
            if rel not in own_files or not stat.S_ISREG(os.lstat(Path(root, f)).st_mode):
                foreign.append(rel)
    return sorted(foreign)


def remove_own(folder: Path, marker: Marker) -> list[str]:
    """Delete what the report wrote in ``folder``, then the folder if nothing else is left.

    Returns the entries left behind (not the report's): empty when ``folder`` is gone.
    """
    for name in marker.files:
        path = folder / name
        try:
            if stat.S_ISREG(path.lstat().st_mode):
                path.unlink()
        except FileNotFoundError:
            pass
    for name in sorted(marker.dirs, key=lambda d: -d.count("/")):
        try:
            (folder / name).rmdir()  # only if empty: never takes anything else with it
        except OSError:
            pass
    left = foreign_entries(folder, marker)
    if not left:
        try:
            (folder / MARKER).unlink()
            folder.rmdir()
        except OSError:
            left = foreign_entries(folder, marker) or ["(folder not removable)"]
    return left


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(target: Path) -> list[Path]:
    """Remove the hidden siblings of ``target`` that a killed report left; return what was removed.

    Only these names are considered: ``.<name>.hbtheory-tmp-XXXXXXXX`` (a report being written: its
    process must be gone), ``.<name>.hbtheory-old-XXXXXXXX`` (an earlier report renamed aside), and
    an earlier version's ``.<name>.XXXXXXXX`` and ``.<name>.old``; each only with a report marker,
    and only the files that marker lists. A reserved ``hbtheory-old`` name is removed if empty.
    Call while holding :func:`locked` (so no other run of this target is writing).
    """
    name = re.escape(target.name)
    tmp_re = re.compile(rf"\.{name}\.hbtheory-tmp-[a-z0-9_]{{8}}")
    old_re = re.compile(rf"\.{name}\.hbtheory-old-[a-z0-9_]{{8}}")
    legacy_re = re.compile(rf"\.{name}\.(?:old|[a-z0-9_]{{8}})")
    removed: list[Path] = []
    for entry in target.parent.iterdir():
        kind = next((k for k, r in (("tmp", tmp_re), ("old", old_re), ("legacy", legacy_re))
                     if r.fullmatch(entry.name)), None)
        if kind is None or entry.is_symlink() or not entry.is_dir():
            continue
        marker = read_marker(entry)
        if marker is None:
            if kind == "old":
                try:  # the name was reserved, then the run was killed: an empty folder
                    entry.rmdir()
                    removed.append(entry)
                except OSError:
                    pass
            continue
        if kind == "legacy" and marker.token:
            continue  # a report of this version under a name it never uses for temporary folders
        if kind == "tmp" and (marker.pid == os.getpid() or _pid_alive(marker.pid)):
            continue
        if not remove_own(entry, marker):
            removed.append(entry)
    return removed


def check_out(out: str | os.PathLike[str]) -> Path:
    """Validate ``out`` before any work; return the folder to write (a symbolic link resolved).

    Raises ``ValueError`` (one line, naming ``out``) when the report could not be written there.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "notes.txt").write_text("mine")
    ...     fine = check_out(Path(tmp) / "rep") == Path(os.path.abspath(tmp)) / "rep"
    ...     try:
    ...         check_out(Path(tmp) / "notes.txt" / "rep")
    ...     except ValueError as exc:
    ...         why = str(exc).endswith("notes.txt' is a file, not a folder")
    >>> fine, why
    (True, True)
    """
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"`out` must be a path, got {type(out).__name__}")
    raw = os.fspath(out)
    if not raw or (isinstance(raw, str) and not raw.strip()):
        raise ValueError("`out` must be a folder path, got an empty string")
    given = Path(os.path.abspath(raw))
    if given.is_symlink():
        if not given.exists():
            raise ValueError(f"`out` {raw!r} is a dangling symbolic link (to {os.readlink(given)!r})")
        given = given.resolve()
    if given.name in ("", ".", ".."):
        raise ValueError(f"`out` {raw!r} must name a folder, not a file-system root")
    if given.exists() or given.is_symlink():
        check_replaceable(given, raw)
    ancestor = given.parent
    while not ancestor.exists():
        if ancestor.is_symlink():
            raise ValueError(f"`out` {raw!r}: {str(ancestor)!r} is a dangling symbolic link")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"`out` {raw!r}: {str(ancestor)!r} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f"`out` {raw!r}: the folder {str(ancestor)!r} is not writable")
    return given


def check_replaceable(target: Path, shown: str) -> Marker:
    """The marker of ``target`` if it is an earlier report holding only the report's own files."""
    if target.is_symlink() or not target.is_dir():
        raise ValueError(f"`out` {shown!r} exists and is not an earlier hbtheory report (not a folder); "
                         "choose another path")
    marker = read_marker(target)
    if marker is None:
        raise ValueError(f"`out` {shown!r} exists and is not an earlier hbtheory report; choose another path")
    foreign = foreign_entries(target, marker)
    if foreign:
        listed = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise ValueError(f"`out` {shown!r} is an earlier report but also holds files hbtheory did not write "
                         f"({listed}); move them or choose another path")
    return marker


@contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold the lock of ``target`` (the file ``.<name>.hbtheory-lock`` beside it, with the pid)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: an O_EXCL lock file
        fcntl = None  # type: ignore[assignment]
    path = target.parent / f".{target.name}.hbtheory-lock"
    while True:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | (0 if fcntl else os.O_EXCL)
        try:
            fd = os.open(path, flags, 0o644)
        except FileExistsError:  # pragma: no cover - the O_EXCL variant
            raise ReportBusyError(f"`out` {str(target)!r}: another hbtheory report is writing it (lock file "
                                  f"{str(path)!r}; remove it if no report is running)") from None
        except OSError as exc:
            raise ValueError(f"`out` {str(target)!r}: cannot create the lock file {str(path)!r} "
                             f"({exc.strerror})") from None
        if fcntl is None:  # pragma: no cover
            break
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise ReportBusyError(f"`out` {str(target)!r}: another hbtheory report (pid {holder}) is writing it; "
                                  "wait for it to finish or choose another path") from None
        mine = os.fstat(fd)
        try:
            now = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
            break
        os.close(fd)  # the previous holder removed the file between our open and our lock: retry
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    try:
        yield
    finally:
        try:
            path.unlink()  # while still holding the lock: a waiter re-checks the inode
        except FileNotFoundError:
            pass
        os.close(fd)


def make_temp(target: Path, kind: str) -> Path:
    """A fresh hidden sibling ``.<name>.hbtheory-<kind>-XXXX`` of ``target`` with the umask's permissions."""
    path = Path(tempfile.mkdtemp(prefix=f".{target.name}.hbtheory-{kind}-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o777 & ~umask)  # mkdtemp makes it private; the report is an ordinary folder
    return path


def install(tmp: Path, target: Path, marker: Marker) -> None:
    """Move the finished report ``tmp`` to ``target``, replacing an earlier report there.

    The earlier report is renamed aside first, then only its own files are deleted. Anything that
    appeared in it while this run worked is kept, in a visible sibling ``<name>.previous-XXXX``
    (with a warning). If ``target`` is no longer an earlier report, the new report is kept as
    ``<name>.new-XXXX`` and ``ValueError`` says so.
    """
    if os.path.lexists(target):
        old_marker = read_marker(target) if target.is_dir() and not target.is_symlink() else None
        if old_marker is None:
            kept = _keep_visible(tmp, target, "new")
            raise ValueError(f"`out` {str(target)!r} was replaced by something that is not an hbtheory report while "
                             f"the report ran; the new report is in {str(kept)!r}")
        aside = make_temp(target, "old")
        os.rename(target, aside)  # onto the reserved empty folder: atomic, and the name is ours
        try:
            os.rename(tmp, target)
        except OSError:
            os.rename(aside, target)
            raise
        left = remove_own(aside, old_marker)
        if left:
            kept = _keep_visible(aside, target, "previous")
            warnings.warn(f"hbtheory report: the previous report in {str(target)!r} held files it did not write "
                          f"({', '.join(left[:3])}); they are kept in {str(kept)!r}", UserWarning, stacklevel=3)
        return
    try:
        os.rename(tmp, target)
    except OSError:
        kept = _keep_visible(tmp, target, "new")
        raise ValueError(f"`out` {str(target)!r} was created by someone else while the report ran; the new report "
                         f"is in {str(kept)!r}") from None


def _keep_visible(folder: Path, target: Path, kind: str) -> Path:
    place = Path(tempfile.mkdtemp(prefix=f"{target.name}.{kind}-", dir=target.parent))
    os.rename(folder, place)
    return place
