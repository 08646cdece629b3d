//! EAL start-up and shutdown from the command-line arguments before `--`.

use std::ffi::CString;
use std::os::raw::c_char;

/// The initialised Environment Abstraction Layer. Dropping it calls `rte_eal_cleanup`.
pub struct Eal {
    _args: Vec<CString>,
}

impl Eal {
    /// Starts EAL with `args` (args[0] is the program name). Returns EAL and the arguments that
    /// follow the EAL ones (after `--`).
    pub fn init(args: &[String]) -> Result<(Eal, Vec<String>), String> {
        let cargs: Vec<CString> = args
            .iter()
            .map(|a| {
                CString::new(a.as_str()).map_err(|_| format!("argument with a NUL byte: {a:?}"))
            })
            .collect::<Result<_, _>>()?;
        let mut argv: Vec<*mut c_char> = cargs.iter().map(|c| c.as_ptr() as *mut c_char).collect();
        argv.push(std::ptr::null_mut());
        let n = unsafe { dpdk_sys::rte_eal_init(cargs.len() as i32, argv.as_mut_ptr()) };
        if n < 0 {
            return Err(format!(
                "EAL initialisation failed: {}",
                super::last_error()
            ));
        }
        // rte_eal_init consumed args[1..=n] (it leaves "--" as the n-th when present).
        let mut rest: Vec<String> = args.iter().skip(n as usize + 1).cloned().collect();
        if rest.first().map(|s| s == "--").unwrap_or(false) {
            rest.remove(0);
        }
        Ok((Eal { _args: cargs }, rest))
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        unsafe {
            dpdk_sys::rte_eal_cleanup();
        }
    }
}
