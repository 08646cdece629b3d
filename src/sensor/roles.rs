//! Which lcore does what: the main lcore is the control lcore; the others poll ports (RX) or
//! run engines (workers), as `capture.rx_lcores` / `capture.workers` say. With one extra lcore,
//! it does RX and the work itself.

/// The plan for the lcores EAL gave us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roles {
    pub rx: Vec<u32>,
    /// Worker lcores; empty when the RX lcore works itself (then `rx` has one lcore).
    pub workers: Vec<u32>,
}

impl Roles {
    /// Splits `lcores` (every lcore except the main one) into RX and workers.
    pub fn plan(lcores: &[u32], rx_lcores: u32, workers: u32) -> Result<Roles, String> {
        if lcores.is_empty() {
            return Err("fmon-dpdk needs at least two lcores (the main lcore is the control lcore), e.g. -l 0-1".into());
        }
        if lcores.len() == 1 {
            if workers > 1 {
                return Err(format!("capture.workers is {workers} but only one lcore besides the main one was given"));
            }
            return Ok(Roles {
                rx: lcores.to_vec(),
                workers: Vec::new(),
            });
        }
        let rx = rx_lcores as usize;
        if rx >= lcores.len() {
            return Err(format!(
                "capture.rx_lcores is {rx} but only {} lcores besides the main one were given (need RX + at least one worker)",
                lcores.len()
            ));
        }
        let rest = &lcores[rx..];
        let n = if workers == 0 {
            rest.len()
        } else {
            workers as usize
        };
        if n > rest.len() {
            return Err(format!(
                "capture.workers is {n} but only {} lcores are left after {rx} RX lcore(s)",
                rest.len()
            ));
        }
        Ok(Roles {
            rx: lcores[..rx].to_vec(),
            workers: rest[..n].to_vec(),
        })
    }

    /// Number of engines (at least one).
    pub fn engines(&self) -> usize {
        self.workers.len().max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        assert!(Roles::plan(&[], 1, 0).is_err());
        assert_eq!(
            Roles::plan(&[1], 1, 0).unwrap(),
            Roles {
                rx: vec![1],
                workers: vec![]
            }
        );
        assert_eq!(
            Roles::plan(&[1, 2, 3, 4], 1, 0).unwrap(),
            Roles {
                rx: vec![1],
                workers: vec![2, 3, 4]
            }
        );
        assert_eq!(
            Roles::plan(&[1, 2, 3, 4], 2, 1).unwrap(),
            Roles {
                rx: vec![1, 2],
                workers: vec![3]
            }
        );
        assert!(Roles::plan(&[1, 2], 2, 0).is_err());
        assert!(Roles::plan(&[1, 2], 1, 3).is_err());
        assert!(Roles::plan(&[1], 1, 2).is_err());
    }
}
