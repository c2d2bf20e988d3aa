"""The translation layer sits below the hub and the station: both may import it, it imports neither."""
import subprocess
import sys


def test_translate_imports_neither_flask_nor_the_hub_nor_the_station():
    code = ("import sys, ccc.translate.__main__, ccc.translate.engine, ccc.translate.worker; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_socketio') "
            "or m.startswith(('ccc.hub', 'ccc.station'))]; print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
