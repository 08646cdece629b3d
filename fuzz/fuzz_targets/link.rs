//! Shared by the engine and decode fuzz targets (`#[path = "link.rs"] mod link;`): picks the
//! link layer a frame is read as from the input's first byte.
use fmon::engine::LinkType;

pub fn pick(sel: u8) -> LinkType {
    match sel % 6 {
        0 => LinkType::Ethernet,
        1 => LinkType::RawIp,
        2 => LinkType::Null,
        3 => LinkType::LinuxSll,
        4 => LinkType::LinuxSll2,
        _ => LinkType::CiscoHdlc,
    }
}
