import socket
import threading

import pytest


@pytest.mark.parametrize(
    "address",
    [
        ("192.0.2.1", 80),  # TEST-NET-1 (RFC 5737): refused before any packet is sent
        ("130.14.29.110", 443),  # an NCBI address
    ],
)
def test_connections_beyond_loopback_are_refused(address: tuple[str, int]) -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(RuntimeError, match="tests must stay offline"),
    ):
        sock.connect(address)


def test_name_lookups_beyond_loopback_are_refused() -> None:
    with pytest.raises(RuntimeError, match=r"refused to look up 'eutils\.ncbi\.nlm\.nih\.gov'"):
        socket.getaddrinfo("eutils.ncbi.nlm.nih.gov", 443)


def test_loopback_connections_are_allowed() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        accepted: list[bytes] = []

        def serve() -> None:
            conn, _ = server.accept()
            with conn:
                accepted.append(conn.recv(5))

        thread = threading.Thread(target=serve)
        thread.start()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            client.sendall(b"hello")
        thread.join(timeout=5)
    assert accepted == [b"hello"]
