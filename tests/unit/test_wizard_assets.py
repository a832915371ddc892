"""The page's scripts are local ES modules: every import names a file under static/js/, and the
page loads the entry module after the vendored Socket.IO client (the one classic script)."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
JS = REPO / "static" / "js"
IMPORT = re.compile(r'^import .* from "([^"]+)";$', re.MULTILINE)


def test_every_import_is_a_local_module():
    for module in JS.glob("*.js"):
        for target in IMPORT.findall(module.read_text()):
            assert target.startswith("./"), f"{module.name} imports {target}: not a local module"
            assert (JS / target).is_file(), f"{module.name} imports {target}, which is not in static/js/"


def test_no_module_shares_state_through_a_global():
    for module in JS.glob("*.js"):
        assert "Wizard." not in module.read_text(), f"{module.name} uses the old window.Wizard global"


def test_the_page_loads_socketio_then_the_entry_module():
    page = (REPO / "templates" / "index.html").read_text()
    scripts = re.findall(r"<script [^>]*>", page)
    assert scripts == ['<script src="/static/vendor/socket.io.min.js" defer>',
                       '<script type="module" src="/static/js/main.js">']
