//! fmon-pcapgen: writes captures carrying known files over hostile TCP, with their expected files.
//! TODO(test helper).
fn main() {}
