"""Which of the vendor's files the bundle carries as resources/, and at which paths."""

from pathlib import Path

from airlift_build.app_files import resource_files

from installer.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
MINIMAL = (REPO / "tests" / "fixtures" / "manifests" / "minimal.yaml").read_text()


def _carried(app_dir: Path, files: dict[str, str], manifest_at: str = "app.yaml") -> list[str]:
    for name, text in {manifest_at: MINIMAL, **files}.items():
        (app_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (app_dir / name).write_text(text)
    manifest_path = app_dir / manifest_at
    return sorted(f.path for f in resource_files(load_manifest(manifest_path), manifest_path))


def test_a_resources_folder_beside_the_manifest_becomes_the_bundles_resources(tmp_path):
    carried = _carried(tmp_path, {"resources/hello.yaml": "kind: Service\n",
                                  "resources/db/db.yaml": "kind: StatefulSet\n",
                                  "resources/.git/config.json": "{}\n",
                                  "resources/notes.txt": "not a resource\n"})
    assert carried == ["resources/db/db.yaml", "resources/hello.yaml"]


def test_gravity_layout_carries_the_manifests_own_folder_without_the_manifest(tmp_path):
    carried = _carried(tmp_path / "resources", {"wordpress.yaml": "kind: Deployment\n",
                                                "charts/wp/Chart.yaml": "name: wp\n",
                                                "charts/wp/templates/NOTES.txt": "hello\n"},
                       manifest_at="app.yaml")
    assert carried == ["resources/charts/wp/Chart.yaml", "resources/charts/wp/templates/NOTES.txt",
                       "resources/wordpress.yaml"]
