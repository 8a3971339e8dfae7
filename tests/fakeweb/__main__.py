"""``python -m tests.fakeweb --port-file F``: the fake web on its own, for manual runs and CI
steps outside pytest. Writes its base URL to F once it listens; stops on SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from tests.fakeweb.server import FakeWeb


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeweb", description=__doc__)
    parser.add_argument("--port-file", type=Path, required=True, help="where to write the URL")
    args = parser.parse_args()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with FakeWeb() as fw:
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(fw.url + "\n", encoding="utf-8")
        tmp.replace(args.port_file)  # readers never see a half-written file
        print(f"fake web on {fw.url}", flush=True)
        stop.wait()


main()
