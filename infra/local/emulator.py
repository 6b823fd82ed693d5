"""moto's server, in-process on loopback, with Step Functions executing for real."""
from __future__ import annotations

import logging
import os

import requests
from moto.server import ThreadedMotoServer

from infra.local import moto_transactions


class EmbeddedMoto:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.url = ""

    def start(self) -> str:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log is noise here
        moto_transactions.install()
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        # moto's Step Functions interpreter calls back into the server on MOTO_PORT.
        os.environ["MOTO_PORT"] = str(port)
        requests.post(f"{self.url}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}},
                      timeout=10).raise_for_status()
        return self.url

    def stop(self) -> None:
        self._server.stop()
