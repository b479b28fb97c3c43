//! The curl command line tool on OpenSSL 3: every failure in the handshake is exit code 35
//! (CURLE_SSL_CONNECT_ERROR, libcurl-errors(3)) with OpenSSL's error-queue line or the
//! socket error. Texts as curl 7.88.1 / OpenSSL 3.0.19 print them, checked on 127.0.0.1
//! against `openssl s_server` (an alert) and against a listener that closes (FIN) or resets
//! (RST) after the ClientHello; the format is lib/vtls/openssl.c (`ossl_connect_step2`).

use super::{openssl, Ctx, Seen, VendorText};
use crate::engine::{CloseKind, Side};
use crate::profile::Stack;

const SOURCE: &str = "curl lib/vtls/openssl.c ossl_connect_step2 (\"OpenSSL/<version>: <error-queue line>\", \"OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to <host>:<port>\"), exit code 35 CURLE_SSL_CONNECT_ERROR (libcurl-errors(3)); seen with curl 7.88.1 on OpenSSL 3.0.19 on 127.0.0.1";

pub(super) fn words(seen: &Seen, ctx: &Ctx) -> Vec<VendorText> {
    // curl is a client only.
    if ctx.side == Side::Server {
        return Vec::new();
    }
    let text = match seen {
        Seen::PeerClosed(CloseKind::Fin) => {
            "OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to <host>:<port>".to_string()
        }
        Seen::PeerClosed(CloseKind::Rst) => "Recv failure: Connection reset by peer".to_string(),
        Seen::TimedOut => return Vec::new(),
        _ => match openssl::error_line(seen, Stack::OpenSsl3) {
            // curl prints the queue line without the "SSL alert number" data.
            Some((line, _)) => format!(
                "OpenSSL/3.0.19: {}",
                line.split(":SSL alert number").next().unwrap_or(&line)
            ),
            None => return Vec::new(),
        },
    };
    vec![ctx.text("curl", format!("\"curl: (35) {text}\""), SOURCE)]
}
