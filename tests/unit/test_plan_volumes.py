"""Profile volumes: created when missing, and uninstall removes exactly what the install created."""

from installer.host import Host
from installer.manifest import Volume
from installer.phases.volumes import create_volumes, remove_created


def test_missing_volumes_are_created_and_removed_with_their_new_parents(tmp_path):
    host = Host(tmp_path / "root")
    (tmp_path / "root" / "srv").mkdir(parents=True)
    (tmp_path / "root" / "srv" / "kept").mkdir()
    volumes = (Volume("/var/lib/app/data", mode=0o750), Volume("/srv/kept"), Volume("/opt/x", create_if_missing=False))
    state = tmp_path / "state"
    assert create_volumes(host, volumes, state) == ["/var/lib/app/data"]
    assert (tmp_path / "root/var/lib/app/data").stat().st_mode & 0o777 == 0o750
    assert not (tmp_path / "root/opt").exists()
    assert create_volumes(host, volumes, state) == []  # a second run changes nothing
    remove_created(host, state)
    assert sorted(p.name for p in (tmp_path / "root").iterdir()) == ["srv"]
    assert (tmp_path / "root/srv/kept").is_dir()
