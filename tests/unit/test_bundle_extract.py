"""Extracting a bundle tarball never writes outside the target, and refuses links and devices."""

import io
import tarfile

import pytest

from installer.bundle import BundleError, safe_extract
from tests.unit.bundle_helpers import write_demo


def evil_tar(path, member: tarfile.TarInfo, data: bytes = b"") -> None:
    with tarfile.open(path, "w") as tar:
        ok = tarfile.TarInfo("app/ok.txt")
        ok.size = 2
        tar.addfile(ok, io.BytesIO(b"ok"))
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize("member, why", [
    (tarfile.TarInfo("app/../../escape.txt"), "path escapes"),
    (tarfile.TarInfo("/etc/escape.txt"), "path escapes"),
])
def test_escaping_paths_are_refused_before_anything_is_written(tmp_path, member, why):
    evil_tar(tmp_path / "evil.tar", member, b"x")
    target = tmp_path / "deep" / "target"
    target.mkdir(parents=True)
    with pytest.raises(BundleError) as err:
        safe_extract(tmp_path / "evil.tar", target)
    assert why in err.value.problems[0]
    assert list(target.iterdir()) == [] and not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_links_and_special_files_are_refused(tmp_path, kind):
    member = tarfile.TarInfo("app/link")
    member.type, member.linkname = kind, "/etc/passwd"
    evil_tar(tmp_path / "evil.tar", member)
    with pytest.raises(BundleError, match="failed verification") as err:
        safe_extract(tmp_path / "evil.tar", tmp_path)
    assert err.value.problems == ["app/link: is a link or special file; bundles hold only files and folders"]
    assert not (tmp_path / "app").exists()


def test_truncated_tarball_is_an_error(tmp_path):
    data = write_demo(tmp_path / "b.tar")
    (tmp_path / "cut.tar").write_bytes(data[: len(data) // 2])
    with pytest.raises(BundleError):
        safe_extract(tmp_path / "cut.tar", tmp_path / "x")


def test_real_bundle_extracts_with_modes(tmp_path):
    write_demo(tmp_path / "b.tar")
    names = safe_extract(tmp_path / "b.tar", tmp_path / "x")
    assert "demo-1.2.3/index.json" in names
    assert (tmp_path / "x" / "demo-1.2.3" / "install").stat().st_mode & 0o777 == 0o755
