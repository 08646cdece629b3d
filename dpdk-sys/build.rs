//! Finds the system DPDK with pkg-config, compiles the C shim and generates bindings.
use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=shim.h");
    println!("cargo:rerun-if-changed=shim.c");
    let lib = pkg_config::Config::new()
        .atleast_version("22.11")
        .probe("libdpdk")
        .unwrap_or_else(|e| {
            panic!("libdpdk not found by pkg-config ({e}); install libdpdk-dev (Debian 12: apt-get install libdpdk-dev)")
        });

    // CFLAGS as pkg-config gives them (-include rte_config.h, -march=...) for the shim.
    let cflags = std::process::Command::new("pkg-config")
        .args(["--cflags", "libdpdk"])
        .output()
        .expect("pkg-config --cflags libdpdk");
    let cflags = String::from_utf8_lossy(&cflags.stdout).to_string();
    let flags: Vec<&str> = cflags.split_whitespace().collect();

    let mut cc = cc::Build::new();
    cc.file("shim.c").opt_level(3).warnings(false);
    let mut i = 0;
    while i < flags.len() {
        if flags[i] == "-include" && i + 1 < flags.len() {
            cc.flag("-include").flag(flags[i + 1]);
            i += 2;
            continue;
        }
        cc.flag(flags[i]);
        i += 1;
    }
    cc.compile("fmon_dpdk_shim");

    let mut b = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_arg("-include")
        .clang_arg("rte_config.h")
        .allowlist_function("rte_.*")
        .allowlist_function("fmon_.*")
        .allowlist_type("rte_.*")
        .allowlist_var("RTE_.*")
        .opaque_type("rte_l2tpv2_.*")
        .opaque_type("rte_gtp_.*")
        .derive_default(true)
        .layout_tests(false)
        .generate_comments(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    for p in &lib.include_paths {
        b = b.clang_arg(format!("-I{}", p.display()));
    }
    for f in &flags {
        if f.starts_with("-march") {
            b = b.clang_arg(*f);
        }
    }
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    b.generate()
        .expect("bindgen over DPDK headers")
        .write_to_file(out.join("bindings.rs"))
        .expect("write bindings");
}
