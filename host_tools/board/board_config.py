"""A board's flight configuration, read and replaced through a `Board`.

`read_config` asks the running firmware (`config list`, `status`): nothing
stops or restarts. `write_config` replaces `config.json` whole through the
raw REPL (the firmware hands over only disarmed in SAFE), restarts the
firmware and reads back what it loaded: a file the board rejects is an error
naming every rejected entry, never a silent default. The host checks a file
with the firmware's schema before it goes (host_tools/config_file.py).
"""

import contextlib
import json

from host_tools.board.board import BoardError
from host_tools.config_file import from_board

CONFIG_FILE = "config.json"


class ConfigRejected(BoardError):
    """The board loaded the file it was given and rejected entries of it."""


class BoardConfig:
    """What a board runs: values (typed by the schema), and the reasons it
    rejected entries of its file ([] = none)."""

    def __init__(self, values, errors):
        self.values = values
        self.errors = errors

    @property
    def ok(self):
        return not self.errors


def _errors_of(status_fields):
    text = status_fields.get("config_errors", "")
    if text:
        return [e.strip() for e in text.split("; ") if e.strip()]
    if status_fields.get("config", "ok") != "ok":
        return [f"config {status_fields['config']}"]
    return []


def read_config(board):
    """BoardConfig of the firmware running on `board` (a Board)."""
    reply = board.command_starting("config list")
    if reply.kind != "OK":
        raise BoardError(f"config list refused by {board.port}: {reply.get('msg', '?')}")
    status = board.command("status")
    if status.kind != "OK":
        raise BoardError(f"status refused by {board.port}: {status.get('msg', '?')}")
    return BoardConfig(from_board(dict(reply.fields)), _errors_of(dict(status.fields)))


def write_config(board, data, purpose="writing its config"):
    """Replace the board's config.json with `data` (a dict, checked by the
    caller), restart the firmware, and return what it loaded (BoardConfig).
    BoardError when the board refuses to hand over (armed, in flight) or
    rejects the file after the restart."""
    board.enter_raw_repl(purpose)
    board.fs_writefile(CONFIG_FILE, json.dumps(data, sort_keys=True).encode())
    board.leave_raw_repl()
    board.start_firmware()
    loaded = read_config(board)
    if loaded.errors:
        raise ConfigRejected(
            f"{board.port} rejected the config it was given: " + "; ".join(loaded.errors)
        )
    return loaded


def save_for_test(board, backup_dir=None):
    """Before a test that reconfigures the board (`droptest --port`): what
    it runs now, also written to `backup_dir/board_config_before.json` (or
    a temporary file) so a person can push it back by hand if the restore
    cannot. A board that rejects entries of its own config is refused: what
    it runs is not what anybody gave it, and restoring that would make it so."""
    import tempfile
    from pathlib import Path

    from host_tools.config_file import dumps

    saved = read_config(board)
    if saved.errors:
        raise BoardError(
            f"{board.port} rejected entries of its config ({'; '.join(saved.errors)}): "
            "push a good config first (`capsule config push`)"
        )
    if backup_dir is not None:
        Path(backup_dir).mkdir(parents=True, exist_ok=True)
        path = Path(backup_dir) / "board_config_before.json"
    else:
        path = Path(tempfile.mkdtemp(prefix="capsule-config-")) / "board_config_before.json"
    path.write_text(dumps(saved.values))
    saved.backup = path
    return saved


def restore_after_test(board, saved):
    """Disarm the board (the test leaves it landed and beaconing) and put
    back the config `save_for_test` read; returns a sentence saying so.
    BoardError names the backup file when the board cannot be restored."""
    try:
        reply = board.command("disarm")
        if reply.kind != "OK":
            # a test that ended mid-descent, on the bench: the stand crew's disarm
            reply = board.command("disarm force")
        if reply.kind != "OK":
            raise BoardError(f"disarm refused: {reply.get('msg', '?')}")
        write_config(board, saved.values, "restoring its config")
    except BoardError as exc:
        raise BoardError(
            f"{board.port}'s config was NOT restored ({exc}); it is saved in {saved.backup}: "
            f"`capsule config push --port {board.port} {saved.backup}`"
        ) from None
    return (
        f"{board.port}: config restored as it was before the test "
        f"({len(saved.values)} keys, copy in {saved.backup}); board disarmed, SAFE"
    )


class _Kept:
    note = ""  # the sentence restore_after_test returned


@contextlib.contextmanager
def kept_for_test(board, backup_dir=None):
    """`with kept_for_test(board, out_dir) as kept:` a test that reconfigures
    `board`; afterwards the board is disarmed and has its config back, and
    `kept.note` says so. board None: nothing is saved (a board started for
    the test)."""
    kept = _Kept()
    if board is None:
        yield kept
        return
    saved = save_for_test(board, backup_dir)
    try:
        yield kept
    finally:
        kept.note = restore_after_test(board, saved)
