//! fmon-dpdk: the sensor binary. TODO(lead): EAL, lcores, control loop.
fn main() {}
