"""Connectivity, DNS, TLS, timeouts and resets: Java socket exceptions, errno names, JDBC link failures."""

from fivetran_recovery.models.diagnosis import Category as C
from fivetran_recovery.rca.signatures.base import sig

FAMILY = "network"
BLIP = "transient_network_blip"

SIGNATURES = [
    sig(
        "java_socket_timeout",
        FAMILY,
        r"java\.net\.SocketTimeoutException|\bread timed? ?out\b",
        C.NETWORK,
        BLIP,
        retryable=True,
        weight=0.85,
        explanation="a read on an open connection timed out",
    ),
    sig(
        "connection_reset",
        FAMILY,
        r"connection reset( by peer)?|\bECONNRESET\b|socket hang up|broken pipe|Connection aborted|RemoteDisconnected"
        r"|remote end closed connection|ConnectionResetError",
        C.NETWORK,
        "connection_reset",
        retryable=True,
        weight=0.85,
        explanation="the remote side or a middlebox dropped the connection",
    ),
    sig(
        "connect_timeout",
        FAMILY,
        r"connect(ion)? timed? ?out|\bETIMEDOUT\b|timed out (while )?(waiting|connecting|trying to connect)"
        r"|connection attempt timed out|login timeout|timeout (expired|exceeded|occurred)|operation timed out"
        r"|request timed out|\btimed out after\b|read operation timed out"
        r"|\b(socket|read|write|connect|connection|request|idle|gateway|network|i/o|io) timeout\b",
        C.NETWORK,
        BLIP,
        retryable=True,
        weight=0.75,
        explanation="the connection or request timed out",
    ),
    sig(
        "connection_refused",
        FAMILY,
        r"java\.net\.ConnectException|connection refused|\bECONNREFUSED\b|no route to host|network is unreachable"
        r"|host is unreachable|\bEHOSTUNREACH\b|\bENETUNREACH\b|cannot assign requested address|dial tcp",
        C.NETWORK,
        "host_unreachable",
        retryable=True,
        weight=0.8,
        explanation="nothing accepted the connection at that host and port",
    ),
    sig(
        "dns_not_found",
        FAMILY,
        r"UnknownHostException|could not resolve host|name or service not known|nodename nor servname"
        r"|\bENOTFOUND\b|getaddrinfo failed|could not translate host name|no such host"
        r"|remote name could not be resolved",
        C.NETWORK,
        "dns_resolution_failure",
        retryable=False,
        weight=0.8,
        explanation="the host name does not resolve; check the host configured for the connection",
    ),
    sig(
        "dns_temporary",
        FAMILY,
        r"temporary failure in name resolution|\bEAI_AGAIN\b|DNS (server|lookup) (timed out|failure)",
        C.NETWORK,
        "dns_resolution_failure",
        retryable=True,
        weight=0.82,
        explanation="a temporary DNS failure",
    ),
    sig(
        "generic_connect_failure",
        FAMILY,
        r"could not (create|open|establish|obtain) (a |the )?(\w+ )?connection"
        r"|Failed to connect to (the )?(DB|database|server)"
        r"|unable to (connect|establish a connection)|cannot connect to|connection (attempt )?failed",
        C.NETWORK,
        "host_unreachable",
        retryable=True,
        weight=0.6,
        explanation="the connection could not be established",
    ),
    sig(
        "tls_trust",
        FAMILY,
        r"PKIX path (building|validation) failed|unable to find valid certification path|certificate verify failed"
        r"|self[- ]signed certificate|certificate (has )?expired|trust anchor|CERTIFICATE_VERIFY_FAILED"
        r"|SSL certificate (problem|verification)|hostname .* (doesn't|does not) match",
        C.NETWORK,
        "tls_certificate_untrusted",
        retryable=False,
        weight=0.85,
        explanation="the TLS certificate presented is not trusted; a retry will not change it",
    ),
    sig(
        "tls_handshake",
        FAMILY,
        r"SSLHandshakeException|SSLException|handshake_failure|SSL handshake|ssl_error|SSL SYSCALL error"
        r"|SSL connection has been closed unexpectedly|wrong version number",
        C.NETWORK,
        "tls_handshake_failure",
        retryable=True,
        weight=0.7,
        explanation="the TLS session could not be established or was cut",
    ),
    sig(
        "eof_on_connection",
        FAMILY,
        r"java\.io\.EOFException|unexpected EOF|end-of-file on communication channel|server closed the connection"
        r"|connection (was )?closed (unexpectedly|by (the )?(remote|server|peer))|Connection is closed"
        r"|I/O error occurred while sending to the backend|An I/O error occurred|connection has been closed",
        C.NETWORK,
        "connection_dropped",
        retryable=True,
        weight=0.75,
        explanation="the connection closed in the middle of the conversation",
    ),
    sig(
        "jdbc_link_failure",
        FAMILY,
        r"Communications link failure|CommunicationsException|SQLRecoverableException|SQLTransientConnectionException"
        r"|SQLNonTransientConnectionException|Could not create connection to database server",
        C.NETWORK,
        "connection_dropped",
        retryable=True,
        weight=0.8,
        explanation="the JDBC driver lost or could not open its connection",
    ),
    sig(
        "ssh_tunnel",
        FAMILY,
        r"ssh tunnel|SSH (connection|server)|JSchException|session is down|Could not establish .*ssh"
        r"|port forwarding|bastion",
        C.NETWORK,
        "ssh_tunnel_failure",
        retryable=True,
        weight=0.7,
        explanation="the SSH tunnel to the source could not be opened or dropped",
    ),
    sig(
        "ip_not_allowed",
        FAMILY,
        r"IP( address)? .{0,60}(is )?not (allowed|whitelisted|allowlisted|permitted)|not in the allowlist"
        r"|blocked by (the )?(firewall|network policy)|no pg_hba\.conf entry|Host '.*' is not allowed to connect"
        r"|is blocked because of many connection errors",
        C.NETWORK,
        "ip_not_allowlisted",
        retryable=False,
        weight=0.85,
        explanation="the source or destination refuses Fivetran's IP; allow-list it",
    ),
    sig(
        "gateway_5xx",
        FAMILY,
        r"\b50[234]\b.{0,30}(bad gateway|service unavailable|gateway time-?out)|\bbad gateway\b"
        r"|\bservice (is )?(temporarily )?unavailable\b|\bgateway time-?out\b|HTTP(/\d(\.\d)?)? 50[234]\b"
        r"|status(code)?[ =:]+50[234]\b|\b50[234] (error|response)",
        C.NETWORK,
        "source_service_unavailable",
        retryable=True,
        weight=0.7,
        explanation="the remote service answered with a gateway or availability error",
    ),
]
