//! Shared by the protocol fuzz targets (`#[path = "script.rs"] mod script;`): plays the input as
//! a script of records [op byte, len byte, bytes...] against one parser. The op byte's low bit
//! picks the direction; a few op values are a gap of `len` bytes, a FIN or a RST of that
//! direction instead of data; `len + 1` bytes of data otherwise (random chunk sizes). The
//! connection then ends by timeout and the files are taken, as the engine would.
use fmon::files::{FileSink, FileSinkConfig};
use fmon::proto::{AppParser, Dir, ProtoStats, StreamCtx, StreamEnd};

pub fn play(p: &mut dyn AppParser, server_port: u16, data: &[u8]) {
    let mut sink = FileSink::new(FileSinkConfig { max_size: 4 << 20, ..FileSinkConfig::default() });
    let mut stats = ProtoStats::default();
    let mut cx = StreamCtx {
        flow_id: 1,
        client: "10.0.0.1:1234".parse().unwrap(),
        server: std::net::SocketAddr::from(([10, 0, 0, 2], server_port)),
        ts: 0,
        files: &mut sink,
        stats: &mut stats,
    };
    let mut rest = data;
    while let [op, len, tail @ ..] = rest {
        let dir = if op & 1 == 0 { Dir::ToServer } else { Dir::ToClient };
        let n = (*len as usize + 1).min(tail.len());
        match op >> 1 {
            0x70 => p.gap(&mut cx, dir, u64::from(*len)),
            0x71 => p.end(&mut cx, dir, StreamEnd::Fin),
            0x72 => p.end(&mut cx, dir, StreamEnd::Reset),
            _ => p.data(&mut cx, dir, &tail[..n]),
        }
        rest = &tail[n..];
    }
    p.finish(&mut cx, StreamEnd::Timeout);
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
}
