"""The port check before serving: a program listening on the port is refused; connections the
last server left closing (TIME-WAIT, for a minute after `stop`) are not a program."""

import socket

import pytest

from mlops.service import _check_port
from signbridge.config import AppConfig
from signbridge.errors import SignbridgeError


def test_a_listening_program_is_refused():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(SignbridgeError, match=f"port {port} on 127.0.0.1 is in use"):
            _check_port(AppConfig(port=port), own_port=None)


def test_a_port_the_last_server_just_closed_is_free():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as web servers do
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first, so its end waits in TIME-WAIT
    client.close()
    server.close()
    _check_port(AppConfig(port=port), own_port=None)  # no error: nothing listens there
