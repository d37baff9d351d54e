//! Build script: the folders `files/embedded.rs` compiles into the binary must exist, and
//! a change to any of them rebuilds it.

use std::path::Path;

/// The folders embedded (relative to the crate), as `files/embedded.rs` names them.
const EMBEDDED: [&str; 3] = [
    "public",
    "node_modules/leaflet/dist",
    "node_modules/leaflet.markercluster/dist",
];

fn main() {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    for folder in EMBEDDED {
        println!("cargo:rerun-if-changed={folder}");
        if !Path::new(&crate_dir).join(folder).is_dir() {
            eprintln!(
                "error: frontend/{folder} is missing: the browser app's npm packages are \
                 embedded in the frontend binary, install them first with `just _deps` \
                 (or `npm ci --prefix frontend`)"
            );
            std::process::exit(1);
        }
    }
    println!("cargo:rerun-if-changed=package-lock.json");
}
