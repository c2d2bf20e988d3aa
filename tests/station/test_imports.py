"""The station shares only ccc.protocol with the hub: it must run where Flask is not installed."""
import subprocess
import sys


def test_station_imports_neither_flask_nor_the_hub():
    code = ("import sys, ccc.station.__main__, ccc.station.ptt, ccc.demo; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_socketio') or m.startswith('ccc.hub')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
