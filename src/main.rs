//! fmon-dpdk: the sensor binary.
//!
//! `fmon-dpdk [EAL options] -- -c sensor.yaml [--eve PATH] [--check-config]`
//!
//! The configuration is read and checked before EAL starts, so a bad sensor.yaml fails fast
//! with the key and line at fault. Then EAL starts with the options before `--`, and the lcore
//! runtime (`sensor`) runs until every pcap input is consumed or SIGINT/SIGTERM.

mod dpdk;
mod sensor;

use fmon::config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: fmon-dpdk [EAL options] -- -c sensor.yaml [--eve PATH] [--check-config]

  -c, --config FILE   sensor.yaml (default /etc/fmon/sensor.yaml)
  --eve PATH          write events to PATH instead of outputs.eve.path
  --check-config      check sensor.yaml and exit
  -h, --help          this text
  -V, --version       version

EAL options are DPDK's own, e.g. -l 0-3, --lcores, --vdev net_pcap0,rx_pcap=FILE,
--vdev net_af_packet0,iface=eth0, -a PCI, --no-huge -m 256, --no-pci, --file-prefix.";

struct AppArgs {
    config: PathBuf,
    eve: Option<PathBuf>,
    check_only: bool,
}

fn parse_app_args(args: &[String]) -> Result<Option<AppArgs>, String> {
    let mut a = AppArgs {
        config: "/etc/fmon/sensor.yaml".into(),
        eve: None,
        check_only: false,
    };
    let mut it = args.iter();
    while let Some(s) = it.next() {
        match s.as_str() {
            "-c" | "--config" => a.config = it.next().ok_or("-c needs a file")?.into(),
            "--eve" => a.eve = Some(it.next().ok_or("--eve needs a path")?.into()),
            "--check-config" => a.check_only = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            "-V" | "--version" => {
                println!("fmon-dpdk {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    Ok(Some(a))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let split = args.iter().position(|a| a == "--");
    let app_args = split.map(|i| &args[i + 1..]).unwrap_or(&[]);
    if split.is_none() && args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let app = match parse_app_args(app_args) {
        Ok(Some(a)) => a,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fmon-dpdk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut cfg = match Config::load(&app.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fmon-dpdk: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(p) = app.eve {
        cfg.outputs.eve.path = p;
    }
    if app.check_only {
        println!("{}: ok", app.config.display());
        return ExitCode::SUCCESS;
    }
    let eal_args: Vec<String> = match split {
        Some(i) => args[..i].to_vec(),
        None => args.clone(),
    };
    let (eal, _rest) = match dpdk::eal::Eal::init(&eal_args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("fmon-dpdk: {e}");
            return ExitCode::from(1);
        }
    };
    let rc = match sensor::run(cfg, &eal_args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fmon-dpdk: {e}");
            ExitCode::from(1)
        }
    };
    drop(eal);
    rc
}
