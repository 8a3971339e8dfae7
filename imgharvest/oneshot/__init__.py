"""One harvest into a local output, with no server: the output's checks, ``--resume``, the
run, and its result; what the command line and the Python API (``imgharvest.get``) share."""
