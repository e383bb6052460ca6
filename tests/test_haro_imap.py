"""Read-only IMAP against a real local Dovecot (started here; skipped when Dovecot is not installed)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from discover.errors import ConfigError, InputError
from discover.haro.imap import ImapSource, read_imap

DATA = Path(__file__).parent / "data" / "haro"
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=timezone.utc)
DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)

pytestmark = pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed (apt-get install dovecot-imapd)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def dovecot():
    # Dovecot refuses mail processes as root, and its processes must reach the maildir: as root
    # the mail belongs to "nobody" in a world-traversable temp folder (pytest's tmp_path is 0700).
    root = Path(tempfile.mkdtemp(prefix="discover-dovecot-"))
    root.chmod(0o755)
    uid, gid = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    port = free_port()
    maildir = root / "mail" / "reporter"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (root / "passwd").write_text("reporter:{PLAIN}s3cret-pw\n")
    conf = root / "dovecot.conf"
    conf.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.skip(f"dovecot could not start here: {out.strip()[:200]}")
            time.sleep(0.1)

    def deliver(name: str, data: bytes) -> None:
        (maildir / "new" / name).write_bytes(data)
        if os.geteuid() == 0:
            for p in [maildir, *maildir.rglob("*")]:
                os.chown(p, uid, gid)

    if os.geteuid() == 0:
        for p in [root / "mail", maildir, *maildir.rglob("*")]:
            os.chown(p, uid, gid)
    yield port, deliver, maildir
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(root, ignore_errors=True)


def test_reads_new_mail_once_and_changes_nothing(dovecot, tmp_path):
    port, deliver, maildir = dovecot
    deliver("1.eml", (DATA / "haro-plain.eml").read_bytes())
    deliver("2.eml", b"From: x@y.example\nSubject: hi\nDate: Thu, 19 Nov 2026 08:00:00 +0000\n\nno queries here\n")
    src = ImapSource("127.0.0.1", "reporter", port=port, tls="none")
    env = {"DISCOVER_IMAP_PASSWORD": "s3cret-pw"}
    batch = read_imap(src, state_dir=tmp_path, now=NOW, env=env)
    assert [q.source for q in batch.queries] == ["INBOX:1#1", "INBOX:1#2"]
    assert batch.queries[0].origin == "imap" and batch.queries[0].outlet == "Des Moines Register"
    assert batch.messages == 2 and batch.problems == []
    state = (tmp_path / "imap-state.json").read_text()
    assert '"last_uid": 2' in state and "s3cret" not in state
    # read-only: nothing moved out of new/ into cur/, no flags set
    assert sorted(p.name for p in (maildir / "new").iterdir()) == ["1.eml", "2.eml"]
    assert list((maildir / "cur").iterdir()) == []
    # a second run reads only what arrived since
    assert read_imap(src, state_dir=tmp_path, now=NOW, env=env).queries == []
    deliver("3.eml", (DATA / "sos-qp.eml").read_bytes())
    again = read_imap(src, state_dir=tmp_path, now=NOW, env=env)
    assert [q.source for q in again.queries] == ["INBOX:3#1", "INBOX:3#2"]


def test_password_only_from_the_environment_and_wrong_ones_fail_cleanly(dovecot, tmp_path):
    port, _, _ = dovecot
    src = ImapSource("127.0.0.1", "reporter", port=port, tls="none", password_env="MY_IMAP_PW")
    with pytest.raises(ConfigError, match="MY_IMAP_PW"):
        read_imap(src, state_dir=tmp_path, env={})
    with pytest.raises(InputError, match="login failed") as err:
        read_imap(src, state_dir=tmp_path, env={"MY_IMAP_PW": "wrong-password"})
    assert "wrong-password" not in str(err.value) and "wrong-password" not in (err.value.hint or "")
    with pytest.raises(InputError, match="folder not found"):
        read_imap(ImapSource("127.0.0.1", "reporter", "NoSuchFolder", port, "none", "MY_IMAP_PW"),
                  state_dir=tmp_path, env={"MY_IMAP_PW": "s3cret-pw"})


def test_plaintext_to_a_remote_host_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="unencrypted"):
        read_imap(ImapSource("imap.example.com", "u", tls="none"), state_dir=tmp_path, env={"DISCOVER_IMAP_PASSWORD": "x"})
