# CCC: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app app
# make install / uninstall: DESTDIR is a staging root for packaging (nothing outside it is touched then).
PREFIX ?= /usr/local
DESTDIR ?=
# First-install settings, or ones to change on a reinstall (the rest of /etc/ccc/ccc.env is kept):
#   sudo make install ROOM=PHY7K PEDAL=/dev/input/by-id/usb-...-event-kbd PEDAL_KEY=KEY_B [PEDAL_ID=05f3:00ff]
INSTALL_OPTIONS = $(if $(ROOM),--room "$(ROOM)") $(if $(PEDAL),--pedal "$(PEDAL)") \
	$(if $(PEDAL_KEY),--pedal-key "$(PEDAL_KEY)") $(if $(PEDAL_ID),--pedal-id "$(PEDAL_ID)") \
	$(if $(PRESENTER),--name "$(PRESENTER)")
# Debian packages the tests need: a browser, a speech synthesizer, PortAudio, a virtual screen and key presser,
# LibriVox test recordings, Asterisk's telephone prompts (G.722, English and Spanish) with their texts, fonts so screenshots show
# Korean captions, PostgreSQL, Redis and nginx for the database and multi-process tests (and `make cluster`),
# and tmux to drive the station in a real terminal; iproute2 for the network-cut fault test; systemd
# (systemd-analyze verify) and desktop-file-utils (desktop-file-validate) check what make install writes.
APT_PACKAGES := chromium espeak-ng libportaudio2 xvfb xdotool pocketsphinx-testdata \
	asterisk-core-sounds-en-g722 asterisk-core-sounds-en \
	asterisk-core-sounds-es-g722 asterisk-core-sounds-es sox fonts-dejavu-core fonts-noto-cjk \
	postgresql redis-server nginx tmux iproute2 systemd desktop-file-utils strace
# Debian packages the hub and station need at run time.
APT_RUNTIME := libportaudio2 espeak-ng

.PHONY: run test demo doctor install uninstall bench lint venv venv-dev system-deps system-runtime migrate demo-room clean \
	help cluster cluster-stop

help:
	@echo "make run    install, migrate and start the hub (SQLite under instance/)"
	@echo "make test   install what the tests need and run the whole suite"
	@echo "make demo   the hub plus a station reading a lecture recording, no microphone needed"
	@echo "make doctor check this PC: microphone, pedal, models, hub, address for phones, disk, clock"
	@echo "make install  (sudo) hub and station as services, projector in kiosk mode at login; see README.md"
	@echo "make bench  run the benchmarks under bench/ (fan-out, station, accuracy, export, translation); figures in docs/"
	@echo "make lint   ruff, and the import contracts of .importlinter (docs/architecture.md)"
	@echo "make cluster       nginx on CCC_CLUSTER_PORT (8080) in front of 2 hubs, PostgreSQL and Redis (state in .cluster/)"
	@echo "make cluster-stop  stop all of it"

# Two stamps: `make run` installs what the hub and station need (requirements.txt) and nothing more; the test,
# bench and lint tools (requirements-dev.txt) come on top for `make test`, `make bench` and `make lint`, also
# after a `make run` (the dev stamp is older than the runtime one, or missing).
$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements.txt requirements-dev.txt
	$(PIP) install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime

venv-dev: $(VENV)/.installed

# apt-get only when root and something is missing, so a second run costs nothing.
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "Missing Debian packages (install them as root): $$missing"; fi; \
	fi

system-runtime:
	@missing=$$(for p in $(APT_RUNTIME); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	elif [ -n "$$missing" ]; then echo "Optional Debian packages missing (the station needs them): $$missing"; fi

migrate: venv
	$(FLASK) db upgrade

demo-room: migrate
	@$(FLASK) rooms ensure-demo

run: system-runtime demo-room  ## the hub, plus a station when a microphone is present
	$(PY) -m ccc.launch

# The suite runs on every core (pytest-xdist; each test starts its own hubs on free ports, so they cannot
# meet), then the tests marked `alone`, which time or weigh the hub, run by themselves on a quiet machine.
TEST_WORKERS ?= auto
test: system-deps venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not alone" --durations=25 || status=$$?; \
	$(PY) -m pytest -m alone || status=$$?; \
	exit $$status

demo: system-runtime demo-room
	$(PY) -m ccc.demo

doctor: venv  ## exit status 0 only when all is well
	$(PY) -m ccc.doctor

# The services run this checkout's .venv in place (make run builds it); install needs only the standard library.
install:
	$(PYTHON) -m ccc.install install --destdir "$(DESTDIR)" --prefix "$(PREFIX)" $(INSTALL_OPTIONS)

uninstall:
	$(PYTHON) -m ccc.install uninstall --destdir "$(DESTDIR)" --prefix "$(PREFIX)"

bench: venv-dev
	$(PY) bench/fanout.py
	$(PY) bench/station.py
	$(PY) bench/vad.py
	$(PY) bench/accuracy.py
	$(PY) bench/models.py
	$(PY) bench/partials.py
	$(PY) bench/export.py
	$(PY) bench/faults.py
	$(PY) bench/floods.py
	$(PY) bench/fuzz.py
	$(PY) bench/translation.py
	$(PY) bench/translation_readers.py

CCC_CLUSTER_PORT ?= 8080

# What a campus runs (README.md, "Many processes"), on this machine and loopback only: deploy/cluster.py
# starts Debian's PostgreSQL, Redis and nginx as private instances with their state under .cluster/.
cluster: system-deps venv
	$(PY) deploy/cluster.py start --port $(CCC_CLUSTER_PORT)

cluster-stop:
	$(PY) deploy/cluster.py stop

# ruff, then the import contracts of .importlinter (docs/architecture.md): imports point down the layers,
# the station never imports Flask or the hub, the hub never the station.
lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
