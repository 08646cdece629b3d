//! What the capture inputs are, from the EAL arguments: which ports are pcap vdevs reading a
//! file (offline: the sensor stops by itself at their end, packet time comes from the file) and
//! the link type of each file.

use fmon::engine::LinkType;

/// A `--vdev` argument split into its name and its key=value options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vdev {
    pub name: String,
    pub opts: Vec<(String, String)>,
}

impl Vdev {
    pub fn opt(&self, k: &str) -> Option<&str> {
        self.opts
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
}

/// Every `--vdev X` / `--vdev=X` in the EAL arguments.
pub fn vdevs(eal_args: &[String]) -> Vec<Vdev> {
    let mut out = Vec::new();
    let mut it = eal_args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        let spec = if a == "--vdev" {
            it.next().cloned()
        } else {
            a.strip_prefix("--vdev=").map(str::to_string)
        };
        if let Some(spec) = spec {
            let mut parts = spec.split(',');
            let name = parts.next().unwrap_or("").to_string();
            let opts = parts
                .filter_map(|kv| {
                    kv.split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                })
                .collect();
            out.push(Vdev { name, opts });
        }
    }
    out
}

/// How one port is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// A pcap file: ends by itself.
    pub offline: bool,
    pub linktype: LinkType,
}

/// The input behind port `name` (its device name as EAL reports it).
pub fn input_for(name: &str, vdevs: &[Vdev]) -> Result<Input, String> {
    let Some(v) = vdevs.iter().find(|v| v.name == name) else {
        return Ok(Input {
            offline: false,
            linktype: LinkType::Ethernet,
        });
    };
    if let Some(path) = v.opt("rx_pcap") {
        let dlt = fmon::pcap::file_linktype(std::path::Path::new(path))
            .map_err(|e| format!("{name}: cannot read {path}: {e}"))?;
        let linktype = LinkType::from_dlt(dlt)
            .ok_or_else(|| format!("{name}: {path}: link type {dlt} is not supported"))?;
        return Ok(Input {
            offline: true,
            linktype,
        });
    }
    Ok(Input {
        offline: false,
        linktype: LinkType::Ethernet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_vdevs_in_both_spellings() {
        let args: Vec<String> = [
            "fmon-dpdk",
            "-l",
            "0-1",
            "--vdev",
            "net_pcap0,rx_pcap=/tmp/a.pcap",
            "--vdev=net_af_packet0,iface=eth0",
            "--",
            "--vdev",
            "x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let v = vdevs(&args);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name, "net_pcap0");
        assert_eq!(v[0].opt("rx_pcap"), Some("/tmp/a.pcap"));
        assert_eq!(v[1].opt("iface"), Some("eth0"));
        assert!(!input_for("net_af_packet0", &v).unwrap().offline);
        assert!(
            input_for("net_pcap0", &v).is_err(),
            "missing file must be an error"
        );
    }
}
