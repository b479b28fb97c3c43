//! A framed, fault-injecting wrapper around a turmoil TCP stream. Frames carry the TLS
//! bytes and an explicit reset, because turmoil's TCP has no application-level RST; the
//! seeded fault (drop, reset, slow, stall, a middlebox's rewritten ClientHello) is applied
//! to this side's writes.

use super::faults::ConnFault;
use crate::engine::CloseKind;
use rand_chacha::ChaCha20Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DATA: u8 = 0;
const RST: u8 = 1;

/// Write one frame: its kind, its length (u32, big-endian) and its body.
async fn write_frame(
    inner: &mut turmoil::net::TcpStream,
    kind: u8,
    body: &[u8],
) -> std::io::Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "frame body longer than its u32 length field",
        )
    })?;
    let mut f = Vec::with_capacity(body.len() + 5);
    f.push(kind);
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(body);
    inner.write_all(&f).await
}

/// Refuse a connection the server's accept queue had no room for: reset it at once, as the
/// kernel answers its SYN, without reading what the client sent.
pub(super) async fn refuse(mut inner: turmoil::net::TcpStream) {
    let _ = write_frame(&mut inner, RST, &[]).await;
    let _ = inner.shutdown().await;
}

pub(super) enum Frame {
    Data(Vec<u8>),
    Closed(CloseKind),
}

pub(super) struct FramedStream {
    inner: turmoil::net::TcpStream,
    fault: Option<ConnFault>,
    sent: u64,
    black_hole: bool,
    first_write: bool,
    /// Reserved for faults that draw per write; the stream's randomness is seeded.
    _rng: ChaCha20Rng,
}

impl FramedStream {
    pub(super) fn new(
        inner: turmoil::net::TcpStream,
        fault: Option<ConnFault>,
        rng: ChaCha20Rng,
    ) -> Self {
        FramedStream {
            inner,
            fault,
            sent: 0,
            black_hole: false,
            first_write: true,
            _rng: rng,
        }
    }

    async fn write_frame(&mut self, kind: u8, body: &[u8]) -> std::io::Result<()> {
        write_frame(&mut self.inner, kind, body).await
    }

    /// Send the records of one flight as one write (as a TLS stack hands a flight to TCP),
    /// subject to the fault, which is still counted record by record: the records before
    /// the one that crosses a drop or reset threshold get through.
    pub(super) async fn send(&mut self, records: &[Vec<u8>]) -> std::io::Result<()> {
        match self.fault {
            Some(ConnFault::Stall { ms }) if self.first_write => {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            Some(ConnFault::Slow { ms }) => {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await
            }
            _ => {}
        }
        let first = std::mem::replace(&mut self.first_write, false);
        if self.black_hole {
            return Ok(());
        }
        let mut through: Vec<u8> = Vec::with_capacity(records.iter().map(Vec::len).sum());
        for (i, bytes) in records.iter().enumerate() {
            let rewritten = match self.fault {
                Some(ConnFault::StripSupportedVersions) if first && i == 0 => {
                    crate::wire::tls13::strip_supported_versions(bytes)
                }
                _ => None,
            };
            let bytes = rewritten.as_ref().unwrap_or(bytes);
            self.sent += bytes.len() as u64;
            match self.fault {
                Some(ConnFault::DropAfter { bytes: n }) if self.sent > n => {
                    self.black_hole = true;
                    break;
                }
                Some(ConnFault::ResetAfter { bytes: n }) if self.sent > n => {
                    if !through.is_empty() {
                        let _ = self.write_frame(DATA, &through).await;
                    }
                    let _ = self.write_frame(RST, &[]).await;
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "injected reset",
                    ));
                }
                _ => through.extend_from_slice(bytes),
            }
        }
        if through.is_empty() {
            return Ok(());
        }
        self.write_frame(DATA, &through).await
    }

    /// Close the connection as the engine asked.
    pub(super) async fn close(&mut self, kind: CloseKind) {
        if kind == CloseKind::Rst && !self.black_hole {
            let _ = self.write_frame(RST, &[]).await;
        }
        let _ = self.inner.shutdown().await;
    }

    /// The next frame from the peer; EOF is a FIN, a read error or a reset frame an RST.
    pub(super) async fn recv(&mut self) -> Frame {
        let mut head = [0u8; 5];
        match self.inner.read_exact(&mut head).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Frame::Closed(CloseKind::Fin)
            }
            Err(_) => return Frame::Closed(CloseKind::Rst),
        }
        if head[0] == RST {
            return Frame::Closed(CloseKind::Rst);
        }
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len];
        match self.inner.read_exact(&mut body).await {
            Ok(_) => Frame::Data(body),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Frame::Closed(CloseKind::Fin)
            }
            Err(_) => Frame::Closed(CloseKind::Rst),
        }
    }
}
